// Mounts GraphiQL against this server's /graphql (a separate file: the CSP
// allows no inline scripts).
/* global React, ReactDOM, GraphiQL */
const fetcher = GraphiQL.createFetcher({ url: '/graphql' });
ReactDOM.createRoot(document.getElementById('graphiql')).render(
  React.createElement(GraphiQL, { fetcher }),
);
