//! Parsed documents kept by their text, so a client sending the same query again (with any
//! variables) skips the parser. Exact by construction: a text always parses to the same
//! document. Parsing was 35% of the instructions of a small query (a task with its list and
//! owner, `scripts/bench.sh` h: 226,000 of 641,000 per request, callgrind); a cached document is
//! a clone of shared names and small vectors. Validation and every limit still run on each
//! request, cached document or not.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use async_graphql::parser::types::ExecutableDocument;

/// Documents kept at most; when full the cache starts over, so memory stays bounded whatever
/// clients send (a client sending new texts only evicts, it never grows the cache).
const MAX_DOCUMENTS: usize = 512;

/// Longer texts are parsed every time: real clients' documents are far smaller.
const MAX_TEXT_BYTES: usize = 8 * 1024;

#[derive(Clone, Default)]
pub(super) struct Documents(Arc<RwLock<HashMap<Box<str>, ExecutableDocument>>>);

impl Documents {
    /// Gives `request` its parsed document, from the cache or parsed now and kept. A text that
    /// does not parse is left to the executor, which reports it as it always does.
    pub(super) fn prepare(&self, request: &mut async_graphql::Request) {
        let text = request.query.as_str();
        if text.len() > MAX_TEXT_BYTES {
            return;
        }
        if let Some(doc) = self.0.read().ok().and_then(|docs| docs.get(text).cloned()) {
            request.set_parsed_query(doc);
            return;
        }
        let Ok(doc) = async_graphql::parser::parse_query(text) else {
            return;
        };
        if let Ok(mut docs) = self.0.write() {
            if docs.len() >= MAX_DOCUMENTS {
                docs.clear();
            }
            docs.insert(text.into(), doc.clone());
        }
        request.set_parsed_query(doc);
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.0.read().map_or(0, |docs| docs.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prepared(docs: &Documents, query: &str) -> async_graphql::Request {
        let mut request = async_graphql::Request::new(query);
        docs.prepare(&mut request);
        request
    }

    #[test]
    fn a_text_seen_again_gets_the_same_document() {
        let docs = Documents::default();
        let mut first = prepared(&docs, "{ lists { id } }");
        let mut again = prepared(&docs, "{ lists { id } }");
        assert_eq!(docs.len(), 1);
        let (a, b) = (first.parsed_query().unwrap(), again.parsed_query().unwrap());
        assert_eq!(format!("{a:?}"), format!("{b:?}"));
        let mut other = prepared(&docs, "{ me { id } }");
        assert_ne!(
            format!("{a:?}"),
            format!("{:?}", other.parsed_query().unwrap())
        );
        assert_eq!(docs.len(), 2);
    }

    #[test]
    fn malformed_and_huge_texts_are_not_kept() {
        let docs = Documents::default();
        let mut bad = prepared(&docs, "{ lists { id ");
        assert!(
            bad.parsed_query().is_err(),
            "left for the executor to report"
        );
        let huge = format!("{{ lists {{ {} }} }}", "id ".repeat(MAX_TEXT_BYTES));
        prepared(&docs, &huge);
        assert_eq!(docs.len(), 0);
    }

    #[test]
    fn the_cache_stays_bounded() {
        let docs = Documents::default();
        for n in 0..MAX_DOCUMENTS + 10 {
            prepared(&docs, &format!("{{ a{n}: me {{ id }} }}"));
        }
        assert!(docs.len() <= MAX_DOCUMENTS);
    }
}
