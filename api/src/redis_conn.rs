//! Redis commands that survive a reconnect: the connection manager reconnects after a drop,
//! but the command that found the connection broken fails, so it is sent once more.
use redis::aio::ConnectionManager;
use redis::{FromRedisValue, Pipeline, RedisResult};

pub async fn query<T: FromRedisValue>(
    conn: &ConnectionManager,
    pipeline: &Pipeline,
) -> RedisResult<T> {
    let mut conn = conn.clone();
    match pipeline.query_async(&mut conn).await {
        Err(err) if err.is_connection_dropped() || err.is_io_error() => {
            pipeline.query_async(&mut conn).await
        }
        outcome => outcome,
    }
}
