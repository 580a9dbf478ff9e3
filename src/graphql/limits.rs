//! What one GraphQL document may cost, checked before anything runs, and the bounds that hold
//! while it runs.
//!
//! Before execution: the number of aliases and of selections (fields and fragments, each fragment
//! counted at every use), then async-graphql's depth and complexity limits. The complexity of a
//! list field is its page size times the cost of one item ([`page_cost`]), so a document costs
//! about what it can return. While it runs: a deadline, and a cap on the size of the answer.

use std::time::Duration;

use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};

use crate::config::Config;
use crate::service::lists::LISTS_PAGE_DEFAULT;
use crate::service::tasks::LIMIT_DEFAULT;
use crate::service::values::PAGE_MAX;

/// The cost of a list field: its page size (as asked, or `default` when not given) times the cost
/// of one item. Out-of-range sizes count as the largest page, and execution refuses them anyway.
pub fn page_cost(limit: Option<i32>, default: i64, item_cost: usize) -> usize {
    let size = limit.map_or(default, i64::from).clamp(1, PAGE_MAX);
    usize::try_from(size)
        .unwrap_or(usize::MAX)
        .saturating_mul(item_cost)
}

/// The limits of one document, from the configuration.
#[derive(Debug, Clone, Copy)]
pub struct DocumentLimits {
    pub max_complexity: usize,
    pub max_aliases: usize,
    pub max_selections: usize,
    pub deadline: Duration,
    pub max_response_bytes: usize,
}

impl DocumentLimits {
    pub fn new(config: &Config) -> Self {
        Self {
            max_complexity: config.graphql_max_complexity,
            max_aliases: config.graphql_max_aliases,
            max_selections: config.graphql_max_selections,
            deadline: config.graphql_timeout,
            max_response_bytes: config.graphql_max_response_bytes,
        }
    }

    /// Why a document over the complexity limit was refused, and how to mend it.
    pub fn complexity_message(&self) -> String {
        format!(
            "The document may return too much: its cost is over {} (each field costs 1 per item \
             it can return, and a list field multiplies the cost of its selection by its page \
             size: `lists` {LISTS_PAGE_DEFAULT} and `tasks` {LIMIT_DEFAULT} unless `limit` says \
             less); ask for smaller pages with `limit` or fewer fields",
            self.max_complexity
        )
    }

    /// Counts the aliases and selections of the operation that would run (every operation when
    /// none is named), expanding fragments where they are used, and stops at the first limit
    /// passed. The walk uses its own stack and a bounded number of steps, so neither deep nesting
    /// nor fragments that spread each other many times (or in a cycle) can make it expensive.
    pub fn check(&self, doc: &ExecutableDocument, operation: Option<&str>) -> Result<(), String> {
        let mut stack: Vec<&SelectionSet> = doc
            .operations
            .iter()
            .filter(|(name, _)| {
                operation.is_none_or(|wanted| name.is_none_or(|n| n.as_str() == wanted))
            })
            .map(|(_, op)| &op.node.selection_set.node)
            .collect();
        let (mut aliases, mut selections) = (0usize, 0usize);
        while let Some(set) = stack.pop() {
            for item in &set.items {
                selections += 1;
                if selections > self.max_selections {
                    return Err(format!(
                        "The document has more than {} selections (fields and fragments, each \
                         fragment counted where it is used); split it into smaller requests",
                        self.max_selections
                    ));
                }
                match &item.node {
                    Selection::Field(field) => {
                        if field.node.alias.is_some() {
                            aliases += 1;
                            if aliases > self.max_aliases {
                                return Err(format!(
                                    "The document has more than {} aliases; split it into \
                                     smaller requests",
                                    self.max_aliases
                                ));
                            }
                        }
                        stack.push(&field.node.selection_set.node);
                    }
                    Selection::InlineFragment(inline) => {
                        stack.push(&inline.node.selection_set.node);
                    }
                    // An unknown fragment is left for validation to report.
                    Selection::FragmentSpread(spread) => {
                        if let Some(fragment) = doc.fragments.get(&spread.node.fragment_name.node) {
                            stack.push(&fragment.node.selection_set.node);
                        }
                    }
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use async_graphql::parser::parse_query;

    fn limits() -> DocumentLimits {
        DocumentLimits {
            max_complexity: 100,
            max_aliases: 3,
            max_selections: 20,
            deadline: Duration::from_secs(1),
            max_response_bytes: 1 << 20,
        }
    }

    fn check(query: &str) -> Result<(), String> {
        limits().check(&parse_query(query).unwrap(), None)
    }

    #[test]
    fn aliases_are_counted_up_to_the_limit() {
        assert!(check("{ a: me { id } b: me { id } c: me { id } }").is_ok());
        let err = check("{ a: me { id } b: me { id } c: me { id } d: me { id } }").unwrap_err();
        assert!(err.contains("more than 3 aliases"), "{err}");
    }

    #[test]
    fn fragments_count_at_every_use() {
        let five = "id title description ownerId createdAt";
        let ok = format!("{{ lists {{ ...F }} }} fragment F on TodoList {{ {five} }}");
        assert!(check(&ok).is_ok());
        let fan_out =
            format!("{{ lists {{ ...F ...F ...F ...F }} }} fragment F on TodoList {{ {five} }}");
        let err = check(&fan_out).unwrap_err();
        assert!(err.contains("more than 20 selections"), "{err}");
    }

    #[test]
    fn fragment_cycles_and_exponential_spreads_stop_at_the_limit() {
        let cycle = "{ lists { ...A } } fragment A on TodoList { id ...B } \
                     fragment B on TodoList { id ...A }";
        assert!(check(cycle).is_err());
        let mut doubling = String::from("{ lists { ...F0 } }");
        for i in 0..40 {
            doubling.push_str(&format!(
                " fragment F{i} on TodoList {{ ...F{n} ...F{n} }}",
                n = i + 1
            ));
        }
        doubling.push_str(" fragment F40 on TodoList { id }");
        assert!(check(&doubling).is_err());
    }

    #[test]
    fn only_the_named_operation_counts() {
        let doc = parse_query(
            "query A { a: me { id } b: me { id } c: me { id } } \
             query B { d: me { id } e: me { id } }",
        )
        .unwrap();
        assert!(limits().check(&doc, Some("A")).is_ok());
        assert!(limits().check(&doc, None).is_err());
    }

    #[test]
    fn a_list_costs_its_page_times_its_items() {
        assert_eq!(page_cost(None, 100, 4), 400);
        assert_eq!(page_cost(Some(20), 100, 4), 80);
        assert_eq!(page_cost(Some(1_000_000), 100, 1), 1000);
        assert_eq!(page_cost(Some(-5), 100, 7), 7);
    }
}
