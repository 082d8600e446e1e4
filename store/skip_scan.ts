/**
 * The recursive "skip scan" Postgres lacks natively: the distinct values of
 * an indexed column found with one index probe per value instead of a pass
 * over every row. Shared by the stores that list business numbers and
 * outcomes.
 *
 * @module
 */

/**
 * The CTE `<cte>(<name>)` holding `table.column`'s distinct non-null values
 * (plus one trailing null: filter `where <cte>.<name> is not null`).
 * Arguments are identifiers written in code, never input.
 */
export function skipScanCte(cte: string, name: string, table: string, column: string): string {
  return `${cte}(${name}) as (
           (select ${column} from ${table}
            where ${column} is not null order by ${column} limit 1)
           union all
           select (select t.${column} from ${table} t
                   where t.${column} > ${cte}.${name} order by t.${column} limit 1)
           from ${cte} where ${cte}.${name} is not null
         )`;
}
