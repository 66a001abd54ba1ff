import { sql, type Kysely } from 'kysely'

// Frozen in time: imports nothing from src/ and uses Kysely<any> on purpose.
// Issue 13, the token endpoint (bench/tokens.ts): a refresh or a code exchange sends two
// statements, the code's or refresh token's record read with its grant and session, and the one
// write that spends it with the tokens it issued (migration 20261202_1400 says why: unnamed
// statements are planned on every call, named ones are session state PgBouncer in transaction
// mode cannot keep). As PL/pgSQL functions their plans are kept by each server process. The same
// statements as before; their caller is src/tokens/artefacts.queries.ts, and a change of
// oidc_artefacts changes them too.
export async function up(db: Kysely<any>): Promise<void> {
  // The live record with its live grant and the live session it is bound to (null when none).
  await sql`
    create function grant_source_read(p_tenant uuid, p_model text, p_id text, p_now timestamptz)
    returns table (
      payload jsonb, consumed_at timestamptz, grant_id text,
      grant_payload jsonb, grant_consumed_at timestamptz,
      session_uid text, session_payload jsonb, session_consumed_at timestamptz
    )
    language plpgsql stable as $$
    #variable_conflict use_column
    begin
      return query
      select t.payload, t.consumed_at, t.grant_id,
             g.payload, g.consumed_at,
             t.payload->>'sessionUid', s.payload, s.consumed_at
        from oidc_artefacts t
        left join oidc_artefacts g on g.tenant_id = t.tenant_id and g.model = 'Grant'
             and g.id = t.grant_id and (g.expires_at is null or g.expires_at > p_now)
        left join oidc_artefacts s on s.tenant_id = t.tenant_id and s.model = 'Session'
             and s.uid = t.payload->>'sessionUid' and (s.expires_at is null or s.expires_at > p_now)
       where t.tenant_id = p_tenant and t.model = p_model and t.id = p_id
         and (t.expires_at is null or t.expires_at > p_now);
    end $$`.execute(db)

  // Spends the record (only if no other statement did) and, only then and while its grant
  // still exists, writes the rows (a JSON array of oidc_artefacts rows) its grant issued.
  await sql`
    create function grant_consume_write(
      p_tenant uuid, p_model text, p_id text, p_now timestamptz, p_rows jsonb
    ) returns table (consumed integer, allowed integer)
    language plpgsql volatile as $$
    #variable_conflict use_column
    begin
      return query
      with spent as (
        update oidc_artefacts set consumed_at = p_now
         where tenant_id = p_tenant and model = p_model and id = p_id and consumed_at is null
        returning grant_id
      ), permitted as (
        select 1 from spent c
         where c.grant_id is null or exists (
           select 1 from oidc_artefacts g
            where g.tenant_id = p_tenant and g.model = 'Grant' and g.id = c.grant_id)
      ), written as (
        insert into oidc_artefacts (tenant_id, model, id, payload, grant_id, uid, user_code, expires_at)
        select v.tenant_id, v.model, v.id, v.payload, v.grant_id, v.uid, v.user_code, v.expires_at
          from jsonb_to_recordset(p_rows) as v (tenant_id uuid, model text, id text, payload jsonb,
               grant_id text, uid text, user_code text, expires_at timestamptz)
         where exists (select 1 from permitted)
        on conflict (tenant_id, model, id) do update set payload = excluded.payload,
          grant_id = excluded.grant_id, uid = excluded.uid, user_code = excluded.user_code,
          expires_at = excluded.expires_at
        returning 1
      )
      select (select count(*) from spent)::integer, (select count(*) from permitted)::integer;
    end $$`.execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop function grant_consume_write(uuid, text, text, timestamptz, jsonb)`.execute(db)
  await sql`drop function grant_source_read(uuid, text, text, timestamptz)`.execute(db)
}
