// Preloaded (node --import) into `lectern serve` children by the database-restart test, standing in
// for the store fix it asks for (docs/SECURITY.md): listeners for node-postgres's 'error' events.
// When the database drops a connection, node-postgres emits 'error' on the Pool for an idle client
// (after removing it) and on the Client itself for one that is checked out (its query fails too, and
// the pool discards it on release because it is no longer queryable). With no listener, Node turns
// either event into an uncaught exception and Lectern dies. This file only adds the listeners.
import pg from 'pg';

const Pool = pg.Pool;
pg.Pool = class extends Pool {
  constructor(options) {
    super(options);
    this.on('error', () => {});
    this.on('connect', (client) => client.on('error', () => {}));
  }
};
