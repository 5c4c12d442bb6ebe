// Preloaded (`node -r`) into our consumer for the `ours-published` contender: every KafkaConsumer
// uses node-rdkafka's published per-message hand-off instead of our patch's columnar one, so one
// benchmark run measures the consumer before and after the patch on the same machine and broker.
const { KafkaConsumer } = require('node-rdkafka');

if (typeof KafkaConsumer.prototype.setConsumeHandoff !== 'function') {
  throw new Error('node-rdkafka is not patched (no setConsumeHandoff): run npm ci, see README "Our patch to node-rdkafka"');
}
const consumeNum = KafkaConsumer.prototype._consumeNum;
KafkaConsumer.prototype._consumeNum = function (...args) {
  this.setConsumeHandoff('objects');
  return consumeNum.apply(this, args);
};
