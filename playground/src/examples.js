// The example operations of ../examples/, turned into GraphiQL tabs (the first one is the welcome tab).
import signup from '../examples/signup.graphql';
import login from '../examples/login.graphql';
import me from '../examples/me.graphql';
import lists from '../examples/lists.graphql';
import list from '../examples/list.graphql';
import createList from '../examples/create-list.graphql';
import createTask from '../examples/create-task.graphql';
import updateTask from '../examples/update-task.graphql';
import deleteTask from '../examples/delete-task.graphql';
import logout from '../examples/logout.graphql';
import taskEvents from '../examples/task-events.graphql';

const WELCOME = `# Welcome to the todo-api GraphQL playground.
#
# Every tab holds an example; run it with the play button or Ctrl-Enter.
# 1. Run "Signup" (or "Login"). The server also sets a cookie, so this
#    page is signed in from then on, in every tab ("Logout" ends it).
# 2. Or sign in one tab with a token in its Headers pane (below):
#      {"Authorization": "Bearer <token>"}
# 3. Then run this query. The Docs button (top left) shows the schema.
#
`;

const VARIABLES_LINE = /^# variables: (.*)\r?\n/m;

/** Splits an example into its operation text and pretty-printed variables. */
function toTab(source) {
  const match = VARIABLES_LINE.exec(source);
  if (!match) {
    return { query: source, variables: null };
  }
  let variables = match[1];
  try {
    variables = JSON.stringify(JSON.parse(variables), null, 2);
  } catch {
    // Keep the text as written; the editor will flag it.
  }
  return { query: source.replace(VARIABLES_LINE, ''), variables };
}

/** The tabs GraphiQL opens with when nothing is stored from an earlier visit. */
export const tabs = [
  { query: WELCOME + lists, variables: null },
  ...[signup, login, me, createList, taskEvents, createTask, updateTask, list, deleteTask, logout].map(
    toTab,
  ),
];

/** The query of the first tab, also used when a new tab is opened from scratch. */
export const defaultQuery = tabs[0].query;
