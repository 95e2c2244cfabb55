// The requests and assertions of rqlite-js's own integration suite (es6/test.integration.js at
// rqlite-js 2.5.7; the npm package ships the client, not the suite), made with the npm client
// against the server in RQLITE_HOSTS. See shared/research/rqlite-api.md section 5.5.
'use strict'
const assert = require('node:assert/strict')
const { DataApiClient, StatusApiClient, BackupApiClient } = require('rqlite-js')

const hosts = process.env.RQLITE_HOSTS
const data = new DataApiClient(hosts)
const status = new StatusApiClient(hosts)
const backup = new BackupApiClient(hosts)

const tests = []
const test = (name, fn) => tests.push({ name, fn })

// backup() and load() return the response body as a stream.
async function readAll (stream) {
  const chunks = []
  for await (const chunk of stream) chunks.push(Buffer.from(chunk))
  return Buffer.concat(chunks)
}

function noError (results) {
  assert.equal(results.hasError(), false, String(results.getFirstError()))
}

test('status: store is ready', async () => {
  const res = await status.status()
  for (const key of ['build', 'http', 'node', 'runtime', 'store']) assert.ok(key in res.body, key)
  assert.equal(res.body.store.ready, true)
})
test('create table', async () => {
  const r = await data.execute('CREATE TABLE foo (id integer not null primary key, name text)')
  noError(r)
  assert.equal(r.results.length, 1)
})
test('insert', async () => {
  const r = await data.execute('INSERT INTO foo(name) VALUES("fiona")')
  noError(r)
  assert.equal(r.get(0).getRowsAffected(), 1)
  assert.equal(r.get(0).getLastInsertId(), 1)
})
test('select', async () => {
  const r = await data.query('SELECT name FROM foo WHERE name="fiona"')
  noError(r)
  assert.equal(r.get(0).get('name'), 'fiona')
})
test('update and delete', async () => {
  let r = await data.execute('UPDATE foo SET name="justin" WHERE name="fiona"')
  noError(r)
  assert.equal(r.get(0).getRowsAffected(), 1)
  r = await data.execute('DELETE FROM foo WHERE name="justin"')
  noError(r)
  assert.equal(r.get(0).getRowsAffected(), 1)
  r = await data.query('SELECT COUNT(id) AS idCount FROM foo')
  assert.equal(r.get(0).get('idCount'), 0)
})
test('transaction of 100 inserts', async () => {
  const sql = []
  for (let i = 0; i < 100; i++) sql.push(`INSERT INTO foo(name) VALUES("justin-${i}")`)
  const r = await data.execute(sql, { transaction: true })
  noError(r)
  assert.equal(r.results.length, 100)
  r.results.forEach((result, i) => {
    assert.equal(result.getRowsAffected(), 1)
    assert.equal(result.getLastInsertId(), i + 1)
  })
})
test('count', async () => {
  const r = await data.query('SELECT COUNT(*) AS total FROM foo WHERE name like("justin-%")')
  assert.equal(r.get(0).get('total'), 100)
})
test('multi-query', async () => {
  const sql = []
  for (let i = 0; i < 100; i++) sql.push(`SELECT name FROM foo WHERE name="justin-${i}"`)
  const r = await data.query(sql)
  noError(r)
  for (let i = 0; i < 100; i++) assert.equal(r.get(i).get('name'), `justin-${i}`)
})
test('drop table reports rqlite\'s stale rows_affected', async () => {
  const r = await data.execute('DROP TABLE foo')
  noError(r)
  assert.equal(r.get(0).getRowsAffected(), 1)
})
test('backup', async () => {
  const file = await readAll(await backup.backup())
  assert.equal(file.subarray(0, 16).toString('latin1'), 'SQLite format 3\0')
})
test('load', async () => {
  const res = await readAll(await backup.load('CREATE TABLE fooRestore (id integer not null primary key, name text);' +
    'INSERT INTO fooRestore(name) VALUES ("fiona");INSERT INTO fooRestore(name) VALUES ("justin")'))
  assert.equal(JSON.parse(res.toString()).results[0].rows_affected, 1)
  const r = await data.query('SELECT id, name FROM fooRestore WHERE name="fiona"', { level: 'strong' })
  assert.equal(r.get(0).get('id'), 1)
  assert.equal(r.get(0).get('name'), 'fiona')
})
test('cleanup', async () => {
  for (const t of ['foo', 'fooBackups', 'fooRestore']) noError(await data.execute(`DROP TABLE IF EXISTS ${t}`))
})

;(async () => {
  let failed = 0
  for (const { name, fn } of tests) {
    try {
      await fn()
      console.log(`ok   ${name}`)
    } catch (e) {
      failed++
      console.log(`FAIL ${name}: ${e && e.stack ? e.stack : e}`)
    }
  }
  console.log(`${tests.length - failed}/${tests.length} passed`)
  process.exit(failed === 0 ? 0 : 1)
})()
