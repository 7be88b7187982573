// kafkajs consumer groups against gregor: two members of one group split a
// 4-partition topic and read each record once, commit, and the group's
// committed offsets read back through the admin client; a second group reads
// everything again.
// Usage: node groups.js BOOTSTRAP  (exits non-zero with a message on failure)
const { Kafka, logLevel } = require('kafkajs')

const bootstrap = process.argv[2]
const kafka = new Kafka({ clientId: 'gregor-it-groups', brokers: bootstrap.split(','), logLevel: logLevel.ERROR })

function check (cond, what) {
  if (!cond) throw new Error('check failed: ' + what)
}

async function until (pred, ms, what) {
  const end = Date.now() + ms
  while (Date.now() < end) {
    if (pred()) return
    await new Promise(resolve => setTimeout(resolve, 100))
  }
  throw new Error('timed out waiting for ' + what)
}

// Runs n members of group over topic until they have read want distinct
// records and the last assignments split the partitions evenly (the first
// member may read alone before the second joins, so a record may be read
// twice); returns [records read by each member, partitions each was
// assigned last].
async function readAll (group, topic, n, want) {
  const seen = Array.from({ length: n }, () => [])
  const assigned = Array.from({ length: n }, () => [])
  const members = []
  for (let i = 0; i < n; i++) {
    const c = kafka.consumer({ groupId: group, sessionTimeout: 10000, heartbeatInterval: 500 })
    c.on(c.events.GROUP_JOIN, e => {
      assigned[i] = (e.payload.memberAssignment[topic] || []).slice().sort()
    })
    await c.connect()
    await c.subscribe({ topic, fromBeginning: true })
    await c.run({ eachMessage: async ({ message }) => { seen[i].push(message.value.toString()) } })
    members.push(c)
  }
  const even = () => assigned.every(a => a.length === assigned[0].length) &&
    new Set(assigned.flat()).size === assigned.flat().length
  // the snapshot is taken in the check itself: leaving makes the others take
  // over, and their events may run as soon as this function yields
  let shared
  try {
    await until(() => new Set(seen.flat()).size >= want && even() &&
      (shared = assigned.map(a => a.slice())), 60000,
    `${n} members of ${group} to read ${want} records and share the partitions`)
  } finally {
    for (const c of members) await c.disconnect()
  }
  return [seen, shared]
}

async function main () {
  const admin = kafka.admin()
  await admin.connect()
  await admin.createTopics({ topics: [{ topic: 'kjs-groups', numPartitions: 4 }], waitForLeaders: true })
  const producer = kafka.producer()
  await producer.connect()
  await producer.send({
    topic: 'kjs-groups',
    messages: Array.from({ length: 40 }, (_, i) => ({ value: `r${i}`, partition: i % 4 }))
  })
  await producer.disconnect()

  const [seen, assigned] = await readAll('kjs-a', 'kjs-groups', 2, 40)
  const all = new Set(seen.flat())
  check(all.size === 40, 'group kjs-a read ' + all.size + ' distinct records')
  check(assigned[0].length === 2 && assigned[1].length === 2 &&
    assigned[0].every(p => !assigned[1].includes(p)), 'assignments ' + JSON.stringify(assigned))

  const committed = await admin.fetchOffsets({ groupId: 'kjs-a', topics: ['kjs-groups'] })
  const parts = committed[0].partitions
  check(parts.length === 4 && parts.every(p => p.offset === '10'), 'committed ' + JSON.stringify(parts))
  const groups = (await admin.listGroups()).groups.map(g => g.groupId)
  check(groups.includes('kjs-a'), 'listGroups: ' + JSON.stringify(groups))

  const [again] = await readAll('kjs-b', 'kjs-groups', 1, 40)
  check(new Set(again.flat()).size === 40, 'group kjs-b read ' + again.flat().length)
  await admin.disconnect()
}

main().then(() => process.exit(0), e => { console.error(e.stack || String(e)); process.exit(1) })
