//! The connection pool of whichever database a store opened, and the one
//! macro that runs a body against it, so the SQL written once serves both
//! backends (both drivers take `$1`-style parameters).

/// A pool on one of the compiled-in databases.
#[derive(Clone)]
pub(crate) enum Backend {
    #[cfg(feature = "sqlite")]
    Sqlite(sqlx::SqlitePool),
    #[cfg(feature = "postgres")]
    Postgres(sqlx::PgPool),
}

/// Runs `$body` with `$pool` bound to the concrete pool of `$self.backend`
/// and `$db` naming its sqlx database type.
macro_rules! on_pool {
    ($self:expr, $pool:ident, $db:ident => $body:expr) => {
        match &$self.backend {
            #[cfg(feature = "sqlite")]
            $crate::backend::Backend::Sqlite($pool) => {
                #[allow(dead_code)]
                type $db = sqlx::Sqlite;
                $body
            }
            #[cfg(feature = "postgres")]
            $crate::backend::Backend::Postgres($pool) => {
                #[allow(dead_code)]
                type $db = sqlx::Postgres;
                $body
            }
        }
    };
}

pub(crate) use on_pool;
