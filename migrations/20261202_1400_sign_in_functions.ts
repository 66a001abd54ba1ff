import { sql, type Kysely } from 'kysely'

// Frozen in time: imports nothing from src/ and uses Kysely<any> on purpose.
// Issue 13, the login path (bench/login.ts): PostgreSQL planned the login's read (the throttle's
// counts, the account over three joins, the Terms owed) afresh on every login, 0.6 ms of its CPU
// against 0.1 ms to run it, and the write likewise: statements sent unnamed are planned each
// time, and named prepared statements are session state PgBouncer in transaction mode cannot
// keep. PL/pgSQL keeps the plans of a function's statements in each server process, invisible
// to the pooler: the same statements, planned once per connection (0.13 ms per read measured).
// Their callers are src/identity/sign-in.queries.ts; a change of these tables changes them too.
export async function up(db: Kysely<any>): Promise<void> {
  // The throttle's live counts (as rate-limits.store.ts reads them: the database clock decides
  // expiry, -1 for a window that never ends), and the address's user, password, membership of
  // this tenant and the Terms it owes; one row always, its user fields null when unknown.
  await sql`
    create function sign_in_read(p_tenant uuid, p_directory uuid, p_email_key text, p_limit_keys text[])
    returns table (
      limit_counts json,
      user_id uuid, email text, first_name text, last_name text,
      password_hash text, failed_logins integer, locked_until timestamptz,
      membership_id uuid, membership_status text,
      terms_version integer, terms_accepted boolean
    )
    language plpgsql stable as $$
    #variable_conflict use_column
    begin
      return query
      with current_terms as (
        select max(t.version) as version from terms_versions t where t.tenant_id = p_tenant
      )
      select
        (select coalesce(json_agg(json_build_object(
            'key', r.key, 'points', r.points, 'ms_before_next',
            case when isfinite(r.expires_at)
              then greatest(0, ceil(extract(epoch from r.expires_at - now()) * 1000))::double precision
              else -1 end)), '[]'::json)
          from rate_limits r where r.key = any(p_limit_keys) and r.expires_at > now()),
        u.id, u.email, u.first_name, u.last_name,
        c.password_hash, c.failed_logins, c.locked_until,
        m.id, m.status,
        ct.version,
        exists (select 1 from terms_acceptances a
          where a.tenant_id = p_tenant and a.membership_id = m.id and a.version = ct.version)
      from current_terms ct
      left join users u on u.directory_id = p_directory and u.email_key = p_email_key
      left join credentials c on c.user_id = u.id and c.directory_id = u.directory_id
      left join memberships m on m.user_id = u.id and m.tenant_id = p_tenant;
    end $$`.execute(db)

  // A success: the session opened and the membership's last sign-in, the browser's previous
  // session ended (p_replaces null: none), the account's throttle count and its failures in a
  // row forgotten (no write when there are none), the audit event (an audit_events row as JSON,
  // its details a JSON text). One transaction, one round trip.
  await sql`
    create function sign_in_write(
      p_id_hash bytea, p_tenant uuid, p_membership uuid, p_pending text, p_amr jsonb,
      p_expires_at timestamptz, p_at timestamptz, p_replaces bytea, p_forgive text,
      p_directory uuid, p_user uuid, p_audit jsonb
    ) returns void
    language plpgsql volatile as $$
    begin
      insert into sessions (id_hash, tenant_id, membership_id, pending, amr, expires_at)
        values (p_id_hash, p_tenant, p_membership, p_pending, p_amr, p_expires_at);
      update memberships set last_sign_in_at = p_at where tenant_id = p_tenant and id = p_membership;
      delete from sessions where tenant_id = p_tenant and id_hash = p_replaces;
      delete from rate_limits where key = p_forgive;
      update credentials set failed_logins = 0, locked_until = null
        where directory_id = p_directory and user_id = p_user and failed_logins > 0;
      insert into audit_events (tenant_id, actor_kind, actor_id, actor_name, action, subject_kind,
          subject_id, subject_label, ip, details, at)
        select e.tenant_id, e.actor_kind, e.actor_id, e.actor_name, e.action, e.subject_kind,
          e.subject_id, e.subject_label, e.ip, (p_audit->>'details')::jsonb, e.at
        from jsonb_populate_record(null::audit_events, p_audit - 'details') e;
    end $$`.execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop function if exists sign_in_write(bytea, uuid, uuid, text, jsonb, timestamptz, timestamptz, bytea, text, uuid, uuid, jsonb)`.execute(
    db,
  )
  await sql`drop function if exists sign_in_read(uuid, uuid, text, text[])`.execute(db)
}
