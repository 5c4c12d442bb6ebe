// Preloaded (NODE_OPTIONS=--require) into a consumer process to make the installed node-rdkafka
// look unpatched without compiling a second one (about 4 minutes): UNPATCHED=addon removes what
// only our patched C++ addon exports, as a published addon loaded under our patched JavaScript
// would lack it; UNPATCHED=js removes the method only our patched JavaScript has.
const binding = require('node-rdkafka/librdkafka') as { KafkaConsumer: Record<string, unknown> };
const js = require('node-rdkafka') as { KafkaConsumer: { prototype: Record<string, unknown> } };

if (process.env.UNPATCHED === 'addon') delete binding.KafkaConsumer.consumeHandoffs;
if (process.env.UNPATCHED === 'js') delete js.KafkaConsumer.prototype.setConsumeHandoff;
