import { sql, type Kysely } from 'kysely'

// Frozen in time: imports nothing from src/ and uses Kysely<any> on purpose.
// Issue 11, substring search: with the default statistics target the planner put a four-letter
// fragment of one last name in fifty (20,000 of a million members) at 100 matches, and the
// search sorted 20,000 rows it expected to be 100 (p99 327-443 ms). A larger sample of the
// searched text makes the estimates right (19,019 for 19,019 at 1,000), and the list walks the
// sort index for such fragments instead. ANALYZE of users reads more rows for it.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter index users_search_trgm alter column 1 set statistics 1000`.execute(db)
  await sql`analyze users`.execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`alter index users_search_trgm alter column 1 set statistics -1`.execute(db)
}
