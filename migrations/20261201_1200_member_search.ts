import { type Kysely, sql } from 'kysely'

// Frozen in time: imports nothing from src/ and uses Kysely<any> on purpose.
// Issue 11: prefix search at a million members per tenant. Every membership gets one row per
// distinct 1-, 2- and 3-character prefix of its searchable terms (the full name, the last name,
// the email, the phone, the external id), keyed (tenant, prefix, name sort key, user): a
// search of up to three characters reads that index in the page's order and stops after the
// page, however many people match. Longer searches walk the block of their first three
// characters, the user's fields checked by the query (src/members/members.queries.ts).
// Kept by statement triggers on the writes to memberships and users, so every writer (the
// admin API, invitations, SSO provisioning, COPY) keeps it without knowing.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`create table member_search_prefixes (
      tenant_id uuid not null,
      user_id uuid not null,
      prefix text collate "C" not null,
      name_key text collate "C" not null,
      primary key (tenant_id, user_id, prefix),
      foreign key (tenant_id, user_id) references memberships (tenant_id, user_id) on delete cascade
    )`.execute(db)
  await sql`create index member_search_prefixes_walk on member_search_prefixes
      (tenant_id, prefix, name_key, user_id)`.execute(db)

  // The terms and the name key are those of members.queries.ts (NAME_KEY, EMAIL_KEY, ...).
  await sql`create function member_search_rows(tenants uuid[], users uuid[])
      returns table (tenant_id uuid, user_id uuid, prefix text, name_key text)
      language sql stable as $$
    select distinct m.tenant_id, m.user_id, left(t.term, n.n) collate "C",
      lower(coalesce(u.first_name, '') || ' ' || coalesce(u.last_name, '')) collate "C"
    from unnest(tenants, users) as k(tenant_id, user_id)
    join memberships m on m.tenant_id = k.tenant_id and m.user_id = k.user_id
    join users u on u.id = m.user_id and u.directory_id = m.directory_id
    cross join lateral (values
      (lower(coalesce(u.first_name, '') || ' ' || coalesce(u.last_name, ''))),
      (lower(u.last_name)), (u.email_key), (u.phone), (lower(u.external_id))) as t(term)
    cross join (values (1), (2), (3)) as n(n)
    where t.term is not null and char_length(t.term) >= n.n
  $$`.execute(db)

  await sql`create function member_search_memberships_inserted() returns trigger
      language plpgsql as $$
    begin
      insert into member_search_prefixes (tenant_id, user_id, prefix, name_key)
        select * from member_search_rows(
          (select array_agg(tenant_id) from inserted), (select array_agg(user_id) from inserted))
        on conflict do nothing;
      return null;
    end $$`.execute(db)
  await sql`create trigger member_search_memberships_inserted after insert on memberships
      referencing new table as inserted for each statement
      execute function member_search_memberships_inserted()`.execute(db)

  await sql`create function member_search_users_updated() returns trigger
      language plpgsql as $$
    declare
      t uuid[];
      u uuid[];
    begin
      select array_agg(m.tenant_id), array_agg(m.user_id) into t, u
        from changed_new n join changed_old o on o.id = n.id
        join memberships m on m.user_id = n.id and m.directory_id = n.directory_id
        where (n.first_name, n.last_name, n.email_key, n.phone, n.external_id)
          is distinct from (o.first_name, o.last_name, o.email_key, o.phone, o.external_id);
      if t is null then return null; end if;
      delete from member_search_prefixes p
        using unnest(t, u) as k(tenant_id, user_id)
        where p.tenant_id = k.tenant_id and p.user_id = k.user_id;
      insert into member_search_prefixes (tenant_id, user_id, prefix, name_key)
        select * from member_search_rows(t, u) on conflict do nothing;
      return null;
    end $$`.execute(db)
  await sql`create trigger member_search_users_updated after update on users
      referencing old table as changed_old new table as changed_new for each statement
      execute function member_search_users_updated()`.execute(db)

  // The memberships already there.
  await sql`insert into member_search_prefixes (tenant_id, user_id, prefix, name_key)
      select * from member_search_rows(
        (select array_agg(tenant_id) from memberships), (select array_agg(user_id) from memberships))
      on conflict do nothing`.execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop trigger member_search_users_updated on users`.execute(db)
  await sql`drop trigger member_search_memberships_inserted on memberships`.execute(db)
  await sql`drop function member_search_users_updated()`.execute(db)
  await sql`drop function member_search_memberships_inserted()`.execute(db)
  await sql`drop function member_search_rows(uuid[], uuid[])`.execute(db)
  await sql`drop table member_search_prefixes`.execute(db)
}
