//! [`EnvironmentStore`] on SQLite: environments, API tokens, the deny list and exchange
//! settings. Writes go through the single writer task like every other write.

use super::*;

#[async_trait]
impl EnvironmentStore for SqliteStore {
    async fn create_environment(
        &self,
        env: &Environment,
        token: &ApiTokenRecord,
    ) -> StoreResult<()> {
        let mut tx = self.write().await?;
        insert_environment(&mut tx, env, token).await?;
        tx.commit().await.map_err(db)
    }

    async fn create_first_environment(
        &self,
        env: &Environment,
        token: &ApiTokenRecord,
    ) -> StoreResult<bool> {
        let mut tx = self.write().await?;
        let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM environments)")
            .fetch_one(&mut *tx)
            .await
            .map_err(db)?;
        if exists {
            return Ok(false);
        }
        insert_environment(&mut tx, env, token).await?;
        tx.commit().await.map_err(db)?;
        Ok(true)
    }

    async fn environment(&self, id: EnvironmentId) -> StoreResult<Option<Environment>> {
        self.native.with(|conn| native::load_environment(conn, id))
    }

    async fn update_environment(&self, env: &Environment) -> StoreResult<()> {
        let mut tx = self.write().await?;
        sqlx::query("UPDATE environments SET name = ?2, allowed_origins = ?3, enabled_chains = ?4, display_name = ?5 WHERE id = ?1")
            .bind(env.id.to_string())
            .bind(&env.name)
            .bind(encode_origins(&env.allowed_origins))
            .bind(encode_chains(env.enabled_chains.as_deref()))
            .bind(env.display_name.as_deref())
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        tx.commit().await.map_err(db)
    }

    async fn set_denied(&self, env: EnvironmentId, key: &str, denied: bool) -> StoreResult<()> {
        let sql = if denied {
            "INSERT INTO deny_list (environment_id, screening_key) VALUES (?1, ?2) ON CONFLICT DO NOTHING"
        } else {
            "DELETE FROM deny_list WHERE environment_id = ?1 AND screening_key = ?2"
        };
        let mut tx = self.write().await?;
        sqlx::query(sql)
            .bind(env.to_string())
            .bind(key)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        tx.commit().await.map_err(db)
    }

    async fn any_denied(&self, env: EnvironmentId, keys: &[String]) -> StoreResult<bool> {
        self.native.with(|conn| native::any_denied(conn, env, keys))
    }

    async fn create_api_token(&self, token: &ApiTokenRecord) -> StoreResult<()> {
        let mut tx = self.write().await?;
        insert_token(&mut tx, token).await?;
        tx.commit().await.map_err(db)
    }

    async fn api_token(&self, hash: &TokenHash) -> StoreResult<Option<ApiTokenRecord>> {
        let row = sqlx::query("SELECT * FROM api_tokens WHERE token_hash = ?1")
            .bind(hash.0.as_slice())
            .fetch_optional(&self.reader)
            .await
            .map_err(db)?;
        let Some(row) = row else { return Ok(None) };
        let env: String = row.try_get("environment_id").map_err(db)?;
        Ok(Some(ApiTokenRecord {
            environment_id: env
                .parse()
                .map_err(|_| StoreError::Corrupt(format!("environment id {env:?}")))?,
            prefix: row.try_get("prefix").map_err(db)?,
            hash: decode_token_hash(row.try_get("token_hash").map_err(db)?)?,
            scopes: decode_scopes(row.try_get("scopes").map_err(db)?),
            created_at: Timestamp(row.try_get("created_at").map_err(db)?),
            revoked_at: row
                .try_get::<Option<i64>, _>("revoked_at")
                .map_err(db)?
                .map(Timestamp),
        }))
    }

    async fn environments(&self) -> StoreResult<Vec<Environment>> {
        api_tokens::environments(self).await
    }

    async fn api_tokens(&self, env: EnvironmentId) -> StoreResult<Vec<ApiTokenSummary>> {
        api_tokens::list(self, env).await
    }

    async fn touch_api_token(&self, hash: &TokenHash, now: Timestamp) -> StoreResult<()> {
        api_tokens::touch(self, hash, now).await
    }

    async fn revoke_api_tokens(&self, prefix: &str, now: Timestamp) -> StoreResult<u64> {
        let mut tx = self.write().await?;
        let done = sqlx::query(
            "UPDATE api_tokens SET revoked_at = ?2 WHERE prefix = ?1 AND revoked_at IS NULL",
        )
        .bind(prefix)
        .bind(now.0)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        tx.commit().await.map_err(db)?;
        Ok(done.rows_affected())
    }

    async fn set_exchange(&self, exchange: &ExchangeRecord) -> StoreResult<()> {
        exchanges::set(self, exchange).await
    }

    async fn all_exchanges(&self) -> StoreResult<Vec<ExchangeRecord>> {
        exchanges::all(self).await
    }
}
