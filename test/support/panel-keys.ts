/** What the panel stage gives a panel that a test makes by hand. */
import type { Database } from '../../src/db/database.js';

/**
 * Gives a hand-made panel_person_month the panel stage's last column, person_key: each person's number in person_id
 * order (sql/panel/01_build_panel.sql). The rows keep their stored order.
 */
export async function keyPanelPersons(db: Database): Promise<void> {
  await db.run(
    'test: person keys',
    `create table keyed_panel as
     select panel.*, keys.person_key
     from panel_person_month as panel
     join (
         select person_id, (row_number() over (order by person_id) - 1)::integer as person_key
         from (select distinct person_id from panel_person_month)
     ) as keys using (person_id)
     order by panel.rowid;
     drop table panel_person_month;
     alter table keyed_panel rename to panel_person_month`,
  );
}
