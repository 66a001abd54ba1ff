import { type Kysely, sql } from 'kysely'

// Frozen in time: imports nothing from src/ and uses Kysely<any> on purpose.
// Issue 13: forward auth answers from a per-process cache, and every process must refuse a
// revoked token, an ended session or a disabled member within a second. The database says what
// changed: triggers append one event per credential a change may end (src/revocation/ names the
// keys), whichever code path made the change, and each process reads the events since its
// cursor. The cursor is a transaction id, not the row id: identity values are taken in one order
// and committed in another, so a reader past id 11 would never see a 10 committed later. Every
// transaction below pg_snapshot_xmin has ended, so rows with tx >= the last xmin are all that a
// reader may not have seen yet.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`create table revocation_events (
      id bigint generated always as identity primary key,
      tx xid8 not null default pg_current_xact_id(),
      key text not null,
      created_at timestamptz not null default now()
    )`.execute(db)
  await sql`create index revocation_events_tx on revocation_events (tx)`.execute(db)
  await sql`create index revocation_events_created_at on revocation_events (created_at)`.execute(db)

  // Access tokens (and a grant's tokens when the grant alone goes): a token's key is its jti.
  // Expired rows need no event (the cache checks exp), which keeps the expiry purge cheap.
  await sql`create function revocation_artefact_gone() returns trigger language plpgsql as $$
    begin
      if old.model = 'Grant' then
        insert into revocation_events (key)
          select 'a:' || a.tenant_id || ':' || a.id from oidc_artefacts a
          where a.tenant_id = old.tenant_id and a.grant_id = old.id;
      else
        insert into revocation_events (key) values ('a:' || old.tenant_id || ':' || old.id);
      end if;
      return null;
    end $$`.execute(db)
  await sql`create trigger revocation_artefact_gone after delete on oidc_artefacts for each row
      when (old.model in ('AccessToken', 'ClientCredentials', 'Grant')
        and (old.expires_at is null or old.expires_at > now()))
      execute function revocation_artefact_gone()`.execute(db)

  // Sessions: ended (logout, password change, fixation), or changed (a step now owed).
  await sql`create function revocation_session_changed() returns trigger language plpgsql as $$
    begin
      insert into revocation_events (key)
        values ('s:' || old.tenant_id || ':' || encode(old.id_hash, 'hex'));
      return null;
    end $$`.execute(db)
  await sql`create trigger revocation_session_gone after delete on sessions for each row
      when (old.expires_at > now()) execute function revocation_session_changed()`.execute(db)
  await sql`create trigger revocation_session_updated after update on sessions for each row
      when ((old.pending, old.expires_at, old.membership_id)
        is distinct from (new.pending, new.expires_at, new.membership_id))
      execute function revocation_session_changed()`.execute(db)

  // Memberships: disabled, removed, or their role, groups, products changed (the last sign-in
  // time is written at every login and changes nothing a credential says).
  await sql`create function revocation_membership_changed() returns trigger language plpgsql as $$
    begin
      insert into revocation_events (key) values ('m:' || old.tenant_id || ':' || old.user_id);
      return null;
    end $$`.execute(db)
  await sql`create trigger revocation_membership_gone after delete on memberships for each row
      execute function revocation_membership_changed()`.execute(db)
  await sql`create trigger revocation_membership_updated after update on memberships for each row
      when ((old.status, old.role, old.groups, old.products, old.kind, old.organization,
          old.user_id, old.directory_id)
        is distinct from (new.status, new.role, new.groups, new.products, new.kind,
          new.organization, new.user_id, new.directory_id))
      execute function revocation_membership_changed()`.execute(db)

  // Users: the email and names forward auth hands on, or the identity gone.
  await sql`create function revocation_user_changed() returns trigger language plpgsql as $$
    begin
      insert into revocation_events (key) values ('u:' || old.id);
      return null;
    end $$`.execute(db)
  await sql`create trigger revocation_user_gone after delete on users for each row
      execute function revocation_user_changed()`.execute(db)
  await sql`create trigger revocation_user_updated after update on users for each row
      when ((old.email, old.first_name, old.last_name, old.locale, old.directory_id)
        is distinct from (new.email, new.first_name, new.last_name, new.locale, new.directory_id))
      execute function revocation_user_changed()`.execute(db)

  // A tenant's settings, hosts or signing keys: everything cached for the tenant.
  await sql`create function revocation_tenant_changed() returns trigger language plpgsql as $$
    begin
      if tg_op <> 'INSERT' then
        insert into revocation_events (key) values ('T:' || old.tenant_id);
      end if;
      if tg_op <> 'DELETE' then
        insert into revocation_events (key) values ('T:' || new.tenant_id);
      end if;
      return null;
    end $$`.execute(db)
  await sql`create function revocation_tenant_row_changed() returns trigger language plpgsql as $$
    begin
      insert into revocation_events (key) values ('T:' || old.id);
      return null;
    end $$`.execute(db)
  await sql`create trigger revocation_tenant_changed after update or delete on tenants for each row
      execute function revocation_tenant_row_changed()`.execute(db)
  await sql`create trigger revocation_tenant_hosts_changed after insert or update or delete
      on tenant_hosts for each row execute function revocation_tenant_changed()`.execute(db)
  await sql`create trigger revocation_signing_keys_changed after insert or update or delete
      on signing_keys for each row execute function revocation_tenant_changed()`.execute(db)

  // Apps: a deleted or changed app's client-credentials tokens.
  await sql`create function revocation_app_changed() returns trigger language plpgsql as $$
    begin
      insert into revocation_events (key) values ('c:' || old.tenant_id || ':' || old.client_id);
      return null;
    end $$`.execute(db)
  await sql`create trigger revocation_app_changed after update or delete on apps for each row
      execute function revocation_app_changed()`.execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop trigger revocation_app_changed on apps`.execute(db)
  await sql`drop trigger revocation_signing_keys_changed on signing_keys`.execute(db)
  await sql`drop trigger revocation_tenant_hosts_changed on tenant_hosts`.execute(db)
  await sql`drop trigger revocation_tenant_changed on tenants`.execute(db)
  await sql`drop trigger revocation_user_updated on users`.execute(db)
  await sql`drop trigger revocation_user_gone on users`.execute(db)
  await sql`drop trigger revocation_membership_updated on memberships`.execute(db)
  await sql`drop trigger revocation_membership_gone on memberships`.execute(db)
  await sql`drop trigger revocation_session_updated on sessions`.execute(db)
  await sql`drop trigger revocation_session_gone on sessions`.execute(db)
  await sql`drop trigger revocation_artefact_gone on oidc_artefacts`.execute(db)
  for (const fn of [
    'revocation_app_changed',
    'revocation_tenant_row_changed',
    'revocation_tenant_changed',
    'revocation_user_changed',
    'revocation_membership_changed',
    'revocation_session_changed',
    'revocation_artefact_gone',
  ])
    await sql`drop function ${sql.id(fn)}()`.execute(db)
  await sql`drop table revocation_events`.execute(db)
}
