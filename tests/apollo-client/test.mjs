// An app's client against the running server (HEARTH_URL), as app developers set it up: Apollo
// Client with its normalized InMemoryCache, automatic persisted queries, and graphql-ws for
// subscriptions through the same persisted-query link. Two people (HEARTH_EMAIL_A/B, with
// HEARTH_PASSWORD) were made by run.sh.
//
// What it shows: a reply's answer updates the cached post's count with no refetch; a live reply
// from someone else arrives through a subscription into the same cache; a deletion is evicted
// by its deletedId; an object is refetched by `node(id)`; repeated queries go by hash alone.
import test from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import WebSocket from 'ws';
import {
  ApolloClient,
  InMemoryCache,
  HttpLink,
  split,
  gql,
} from '@apollo/client/core/index.js';
import { GraphQLWsLink } from '@apollo/client/link/subscriptions/index.js';
import { createPersistedQueryLink } from '@apollo/client/link/persisted-queries/index.js';
import { getMainDefinition } from '@apollo/client/utilities/index.js';
import { createClient } from 'graphql-ws';

const base = process.env.HEARTH_URL;
assert.ok(base, 'HEARTH_URL is the running server, e.g. http://127.0.0.1:8000');
const endpoint = new URL('/graphql', base).href;
const socketUrl = endpoint.replace(/^http/, 'ws');

/** A GraphQL request with plain fetch, for setting the scene. */
async function call(token, query, variables = {}) {
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify({ query, variables }),
  });
  const body = await response.json();
  assert.equal(body.errors, undefined, JSON.stringify(body.errors));
  return body.data;
}

async function signIn(email) {
  const data = await call(
    null,
    'mutation($i: LoginInput!) { login(input: $i) { accessToken user { id } } }',
    { i: { email, password: process.env.HEARTH_PASSWORD } },
  );
  return { token: data.login.accessToken, id: data.login.user.id };
}

/** `possibleTypes` from the server's own schema, as Apollo's docs say to generate them. */
async function possibleTypes(token) {
  const data = await call(
    token,
    '{ __schema { types { kind name possibleTypes { name } } } }',
  );
  const found = {};
  for (const type of data.__schema.types) {
    if (type.possibleTypes) found[type.name] = type.possibleTypes.map((t) => t.name);
  }
  return found;
}

/** An app's client: every HTTP request it sends is kept in `sent`, every WebSocket message
 * in `sentOverSocket`. */
function appClient(token, types) {
  const sent = [];
  const sentOverSocket = [];
  class RecordingSocket extends WebSocket {
    send(data, ...rest) {
      sentOverSocket.push(JSON.parse(data));
      return super.send(data, ...rest);
    }
  }
  const http = new HttpLink({
    uri: endpoint,
    headers: { authorization: `Bearer ${token}` },
    fetch: (url, init) => {
      sent.push(JSON.parse(init.body));
      return fetch(url, init);
    },
  });
  const sockets = createClient({
    url: socketUrl,
    webSocketImpl: RecordingSocket,
    connectionParams: { authorization: `Bearer ${token}` },
  });
  const transport = split(
    ({ query }) => {
      const definition = getMainDefinition(query);
      return definition.kind === 'OperationDefinition' && definition.operation === 'subscription';
    },
    new GraphQLWsLink(sockets),
    http,
  );
  const persisted = createPersistedQueryLink({
    sha256: (document) => createHash('sha256').update(document).digest('hex'),
  });
  const cache = new InMemoryCache({
    possibleTypes: types,
    // As the shipped type policies say: a person is shown as each group shows them, so a User
    // is kept inside what shows it rather than under its id.
    typePolicies: { User: { keyFields: false } },
  });
  const apollo = new ApolloClient({ link: persisted.concat(transport), cache });
  return { apollo, cache, sent, sentOverSocket, sockets };
}

const POST_FIELDS = gql`
  fragment PostCount on Post {
    id
    title
    replyCount
  }
`;
const GROUP_PAGE = gql`
  query GroupPage($id: ID!) {
    group(id: $id) {
      id
      name
      posts(first: 20) {
        edges {
          node {
            ...PostCount
          }
        }
      }
    }
  }
  ${POST_FIELDS}
`;
const FEED = gql`
  query Feed {
    feed(first: 20) {
      edges {
        node {
          ...PostCount
        }
      }
    }
  }
  ${POST_FIELDS}
`;
const REPLY = gql`
  mutation Reply($input: CreateReplyInput!) {
    createReply(input: $input) {
      id
      body
      post {
        id
        replyCount
      }
    }
  }
`;
const REPLIES = gql`
  subscription Replies($postId: ID!) {
    replyAdded(postId: $postId) {
      id
      body
      post {
        id
        replyCount
      }
    }
  }
`;
const CHECKINS = gql`
  query Checkins {
    moodCheckins(first: 20) {
      edges {
        node {
          id
          score
        }
      }
    }
  }
`;
const DELETE_CHECKIN = gql`
  mutation DeleteCheckin($id: ID!) {
    deleteMoodCheckin(id: $id) {
      deletedId
    }
  }
`;
const REFETCH = gql`
  query Refetch($id: ID!) {
    node(id: $id) {
      id
      ... on Post {
        title
        replyCount
      }
    }
  }
`;

function cachedPost(cache, id) {
  return cache.readFragment({
    id: cache.identify({ __typename: 'Post', id }),
    fragment: POST_FIELDS,
  });
}

test('an app client keeps one normalized copy of each object, updated by answers and live events', async (t) => {
  const author = await signIn(process.env.HEARTH_EMAIL_A);
  const other = await signIn(process.env.HEARTH_EMAIL_B);
  const group = (
    await call(
      author.token,
      'mutation($i: CreateGroupInput!) { createGroup(input: $i) { id } }',
      { i: { name: 'Apollo client circle', topic: 'OTHER', visibility: 'PUBLIC', ledBy: 'PEER' } },
    )
  ).createGroup.id;
  await call(other.token, 'mutation($g: ID!) { joinGroup(groupId: $g) { state } }', { g: group });
  const post = (
    await call(
      author.token,
      'mutation($i: CreatePostInput!) { createPost(input: $i) { id } }',
      { i: { groupId: group, title: 'Evenings are hard', body: 'How do you get through them?' } },
    )
  ).createPost.id;

  let replyCount = 0;
  const { apollo, cache, sent, sentOverSocket, sockets } = appClient(author.token, await possibleTypes(author.token));
  t.after(() => {
    apollo.stop();
    sockets.dispose();
  });

  await t.test('the group page and the feed share one cached post', async () => {
    const page = await apollo.query({ query: GROUP_PAGE, variables: { id: group } });
    assert.equal(page.data.group.posts.edges[0].node.id, post);
    const feed = await apollo.query({ query: FEED });
    assert.ok(feed.data.feed.edges.some((e) => e.node.id === post));
    assert.equal(cachedPost(cache, post).replyCount, 0);
  });

  await t.test('a reply updates the cached count from its own answer, with no refetch', async () => {
    const before = sent.length;
    await apollo.mutate({
      mutation: REPLY,
      variables: { input: { postId: post, body: 'A warm drink and a call to my sister.' } },
    });
    assert.equal(cachedPost(cache, post).replyCount, 1);
    const page = apollo.readQuery({ query: GROUP_PAGE, variables: { id: group } });
    assert.equal(page.group.posts.edges[0].node.replyCount, 1);
    const feed = apollo.readQuery({ query: FEED });
    assert.equal(feed.feed.edges.find((e) => e.node.id === post).node.replyCount, 1);
    const operations = sent.slice(before).map((body) => body.operationName);
    assert.deepEqual([...new Set(operations)], ['Reply'], 'only the mutation went out');
  });

  await t.test("someone else's reply arrives live into the same cache", async () => {
    const arrived = new Promise((resolve, reject) => {
      const subscription = apollo
        .subscribe({ query: REPLIES, variables: { postId: post } })
        .subscribe({
          next: ({ data, errors }) => {
            if (errors) reject(new Error(JSON.stringify(errors)));
            subscription.unsubscribe();
            resolve(data.replyAdded);
          },
          error: reject,
        });
    });
    // The socket signs in and the operation starts (persisted: its hash first, then the
    // document) while the other person replies; a reply made before it listened is not
    // delivered, so they reply again until one arrives.
    const replies = [];
    let live = null;
    while (live === null && replies.length < 5) {
      replies.push(
        (
          await call(
            other.token,
            'mutation($i: CreateReplyInput!) { createReply(input: $i) { id } }',
            { i: { postId: post, body: 'Music helps me.' } },
          )
        ).createReply.id,
      );
      live = await Promise.race([
        arrived,
        new Promise((resolve) => setTimeout(() => resolve(null), 3000)),
      ]);
    }
    assert.ok(live, 'a live reply arrived');
    // The subscription went through the persisted-query link: Apollo's WebSocket link sends
    // the document with its hash (the server checks the hash and keeps the document; a hash
    // alone over the socket, as the protocol allows, is tested in the Rust suite).
    const subscribes = sentOverSocket.filter((m) => m.type === 'subscribe');
    assert.ok(subscribes.length >= 1);
    for (const { payload } of subscribes) {
      const hash = createHash('sha256').update(payload.query).digest('hex');
      assert.equal(payload.extensions.persistedQuery.sha256Hash, hash);
    }
    assert.ok(replies.includes(live.id));
    const reply = live.id;
    const cachedReply = cache.readFragment({
      id: cache.identify({ __typename: 'Reply', id: reply }),
      fragment: gql`
        fragment LiveReply on Reply {
          id
          body
        }
      `,
    });
    assert.equal(cachedReply.body, 'Music helps me.');
    assert.equal(cachedPost(cache, post).replyCount, 1 + replies.length);
    replyCount = 1 + replies.length;
  });

  await t.test('a refetch by node(id) lands on the same cached object', async () => {
    const { data } = await apollo.query({
      query: REFETCH,
      variables: { id: post },
      fetchPolicy: 'network-only',
    });
    assert.equal(data.node.__typename, 'Post');
    assert.equal(data.node.replyCount, replyCount);
    const page = apollo.readQuery({ query: GROUP_PAGE, variables: { id: group } });
    assert.equal(page.group.posts.edges[0].node.title, 'Evenings are hard');
  });

  await t.test('a deletion is evicted by its deletedId', async () => {
    await call(author.token, 'mutation { logMood(input: {score: 4}) { checkin { id } } }');
    const listed = await apollo.query({ query: CHECKINS });
    const checkin = listed.data.moodCheckins.edges[0].node.id;
    const { data } = await apollo.mutate({
      mutation: DELETE_CHECKIN,
      variables: { id: checkin },
      // What an app does with a deletedId: evict the object, and drop the list entries that
      // pointed at it.
      update(cache, { data: answer }) {
        cache.evict({
          id: cache.identify({ __typename: 'MoodCheckin', id: answer.deleteMoodCheckin.deletedId }),
        });
        cache.modify({
          fields: {
            moodCheckins(existing, { canRead }) {
              return { ...existing, edges: existing.edges.filter((edge) => canRead(edge.node)) };
            },
          },
        });
        cache.gc();
      },
    });
    assert.equal(data.deleteMoodCheckin.deletedId, checkin);
    const after = apollo.readQuery({ query: CHECKINS });
    assert.deepEqual(after.moodCheckins.edges, []);
    const gone = cache.readFragment({
      id: cache.identify({ __typename: 'MoodCheckin', id: checkin }),
      fragment: gql`
        fragment Gone on MoodCheckin {
          id
        }
      `,
    });
    assert.equal(gone, null);
  });

  await t.test('a query asked again goes by its hash alone', async () => {
    await apollo.query({ query: FEED, fetchPolicy: 'network-only' });
    const last = sent[sent.length - 1];
    assert.equal(last.operationName, 'Feed');
    assert.equal(last.query, undefined, 'the document is not sent again');
    assert.equal(last.extensions.persistedQuery.version, 1);
  });
});
