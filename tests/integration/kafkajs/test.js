// kafkajs against gregor: admin topic creation, produce, metadata, offsets.
// Usage: node test.js BOOTSTRAP  (exits non-zero with a message on failure)
const { Kafka, logLevel } = require('kafkajs')

const bootstrap = process.argv[2]
const kafka = new Kafka({ clientId: 'gregor-it', brokers: bootstrap.split(','), logLevel: logLevel.ERROR })

function check (cond, what) {
  if (!cond) throw new Error('check failed: ' + what)
}

async function main () {
  const admin = kafka.admin()
  await admin.connect()
  const created = await admin.createTopics({
    topics: [{ topic: 'kjs', numPartitions: 3, configEntries: [{ name: 'retention.ms', value: '600000' }] }],
    waitForLeaders: true
  })
  check(created === true, 'createTopics returned ' + created)
  check((await admin.listTopics()).includes('kjs'), 'kjs not listed')
  const md = await admin.fetchTopicMetadata({ topics: ['kjs'] })
  const parts = md.topics[0].partitions
  check(parts.length === 3 && parts.every(p => p.leader === 0 && p.partitionErrorCode === 0),
    'metadata: ' + JSON.stringify(parts))

  const producer = kafka.producer()
  await producer.connect()
  for (let p = 0; p < 3; p++) {
    const res = await producer.send({
      topic: 'kjs',
      acks: -1,
      messages: Array.from({ length: 100 }, (_, i) => ({ key: `k${i}`, value: `v${p}-${i}`, partition: p }))
    })
    check(res[0].errorCode === 0 && res[0].baseOffset === '0', 'produce: ' + JSON.stringify(res))
  }
  await producer.disconnect()

  const offsets = await admin.fetchTopicOffsets('kjs')
  check(offsets.length === 3 && offsets.every(o => o.high === '100' && o.low === '0'),
    'offsets: ' + JSON.stringify(offsets))
  const configs = await admin.describeConfigs({ resources: [{ type: 2, name: 'kjs', configNames: ['retention.ms'] }] })
  const entry = configs.resources[0].configEntries[0]
  check(entry.configName === 'retention.ms' && entry.configValue === '600000', 'config: ' + JSON.stringify(entry))
  check(await admin.deleteTopics({ topics: ['kjs'], timeout: 30000 }) === undefined || true, 'delete')
  await admin.disconnect()
  console.log('kafkajs: all checks passed')
}

main().catch(e => { console.error(e.stack || String(e)); process.exit(1) })
