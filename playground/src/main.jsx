// Entry point of the playground bundle: GraphiQL, full window, talking to /graphql on this origin.
import { createGraphiQLFetcher } from '@graphiql/toolkit';
import { GraphiQL } from 'graphiql';
import { createRoot } from 'react-dom/client';
import 'graphiql/style.css';
import './page.css';
import { defaultQuery, tabs } from './examples.js';

const wsScheme = window.location.protocol === 'https:' ? 'wss:' : 'ws:';

const baseFetcher = createGraphiQLFetcher({
  url: new URL('/graphql', window.location.href).href,
  subscriptionUrl: `${wsScheme}//${window.location.host}/graphql/ws`,
  enableIncrementalDelivery: false,
});

/** Lower-cases header names: harmless over HTTP, and the WebSocket wants `authorization`. */
function lowerCaseKeys(headers) {
  return Object.fromEntries(Object.entries(headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
}

function fetcher(params, opts) {
  return baseFetcher(params, opts && { ...opts, headers: lowerCaseKeys(opts.headers) });
}

function Playground() {
  return (
    <GraphiQL
      fetcher={fetcher}
      defaultQuery={defaultQuery}
      defaultTabs={tabs}
      isHeadersEditorEnabled
      shouldPersistHeaders={false}
      defaultEditorToolsVisibility
    />
  );
}

createRoot(document.getElementById('graphiql')).render(<Playground />);
