/**
 * Stands in for the observer's Kafka client process in unit tests of its supervisor: with
 * FAKE_POLL=1 it reports one good poll, then it exits with code 3, as a client that dies would.
 */
if (process.env.FAKE_POLL === '1') process.send!({ type: 'polled', views: [], durationSeconds: 0.001, requests: [['DescribeGroups', 1]], usage: { cpuSeconds: 0.01, residentBytes: 1e6 } }, () => process.exit(3));
else process.exit(3);
