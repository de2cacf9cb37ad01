// What an application does with @clickhouse/client against evalhouse's
// ClickHouse interface, gzip both ways: ping, DDL, a JSONEachRow insert,
// reads as JSON and as a stream, an error it must be able to read, and a
// read key that may SELECT but not INSERT. It prints one JSON object of
// what it saw; jsclient_test.go checks it against the store.
//
// Environment: CLICKHOUSE_JS_PATH (the unpacked package), EH_URL,
// EH_DATABASE, EH_ADMIN_KEY, EH_READ_KEY, EH_ROWS.
import { createRequire } from 'node:module'

const { createClient } = createRequire(import.meta.url)(process.env.CLICKHOUSE_JS_PATH)
const env = (name) => {
  const v = process.env[name]
  if (!v) throw new Error(`client.mjs: ${name} is not set`)
  return v
}
const rows = Number(env('EH_ROWS'))
const client = (username, password) =>
  createClient({
    url: env('EH_URL'),
    database: env('EH_DATABASE'),
    username,
    password, // the key, as the basic-auth password
    compression: { request: true, response: true }, // gzip
  })
// errorOf returns what the client reports for a failed call.
const errorOf = async (call) => {
  try {
    await call()
  } catch (e) {
    return { code: e.code ?? null, type: e.type ?? null, message: String(e.message) }
  }
  return null
}

const out = {}
const admin = client('admin', env('EH_ADMIN_KEY'))
out.ping = (await admin.ping()).success

await admin.command({
  query: 'CREATE TABLE js_rows (id UInt32, name String, score Float64, tags Array(String)) ENGINE = MergeTree ORDER BY id',
})
const values = Array.from({ length: rows }, (_, i) => ({ id: i, name: `row-${i}`, score: i / 4, tags: ['t', String(i % 3)] }))
await admin.insert({ table: 'js_rows', values, format: 'JSONEachRow' })

const asJSON = await (await admin.query({ query: 'SELECT id, name, score, tags FROM js_rows ORDER BY id', format: 'JSON' })).json()
out.json = {
  rows: asJSON.rows,
  data: asJSON.data.length,
  columns: asJSON.meta.map((m) => `${m.name} ${m.type}`),
  last: asJSON.data[asJSON.data.length - 1],
}

const rs = await admin.query({ query: 'SELECT id, name FROM js_rows ORDER BY id', format: 'JSONEachRow' })
let streamed = 0
let inOrder = true
for await (const batch of rs.stream()) {
  for (const row of batch) {
    const r = row.json()
    if (r.id !== streamed || r.name !== `row-${streamed}`) inOrder = false
    streamed++
  }
}
out.stream = { rows: streamed, inOrder }

out.badQuery = await errorOf(() => admin.query({ query: 'SELECT * FROM no_such_table', format: 'JSON' }))

const reader = client('reader', env('EH_READ_KEY'))
out.read = {
  count: Number((await (await reader.query({ query: 'SELECT count() AS n FROM js_rows', format: 'JSONEachRow' })).json())[0].n),
  insert: await errorOf(() => reader.insert({ table: 'js_rows', values: [{ id: rows, name: 'intruder', score: 0, tags: [] }], format: 'JSONEachRow' })),
  ddl: await errorOf(() => reader.command({ query: 'DROP TABLE js_rows' })),
}
out.wrongKey = await errorOf(() => client('admin', 'not-a-key').query({ query: 'SELECT 1', format: 'JSON' }))

await Promise.all([admin.close(), reader.close()])
process.stdout.write(JSON.stringify(out) + '\n')
