// Starts GraphiQL on the page the server serves at GET /graphql (development only). Everything
// it loads comes from this server (the page's Content-Security-Policy allows nothing else).
// Queries and mutations go over HTTP with the headers typed in the Headers tab; subscriptions go
// over the WebSocket on the same path, signed in with that same Authorization header.
(function () {
  var endpoint = new URL('/graphql', window.location.href);
  var socket = new URL(endpoint.href);
  socket.protocol = endpoint.protocol === 'https:' ? 'wss:' : 'ws:';
  var authorization = null;
  var wsClient = null;
  var inner = null;

  // One socket per token: a new Authorization header signs the next subscription in again.
  function connect() {
    if (wsClient) {
      wsClient.dispose();
    }
    var signedIn = authorization;
    wsClient = graphqlWs.createClient({
      url: socket.href,
      lazy: true,
      connectionParams: function () {
        return signedIn ? { authorization: signedIn } : {};
      },
    });
    inner = GraphiQL.createFetcher({ url: endpoint.href, wsClient: wsClient });
  }

  function fetcher(params, options) {
    var headers = (options && options.headers) || {};
    var given = headers.Authorization || headers.authorization || null;
    if (inner === null || given !== authorization) {
      authorization = given;
      connect();
    }
    return inner(params, options);
  }

  ReactDOM.createRoot(document.getElementById('graphiql')).render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultEditorToolsVisibility: true,
      shouldPersistHeaders: false,
    })
  );
})();
