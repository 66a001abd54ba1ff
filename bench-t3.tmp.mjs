const c0 = process.cpuUsage()
let c = c0
const lap = (l) => { const cc = process.cpuUsage(c); console.log(l.padEnd(28), 'cpu', Math.round((cc.user+cc.system)/1000)); c = process.cpuUsage() }
const { register } = await import('tsx/esm/api'); register(); lap('tsx register')
for (const m of process.argv.slice(2)) { await import(m); lap(m) }
const t = process.cpuUsage(c0); console.log('total', Math.round((t.user+t.system)/1000))
