'use strict';
// The demo plant of `npm start` lives in scripts/demo/ (the virtual line, its MQTT link with an
// embedded broker, its OPC UA server); this file stays for whoever required it here.
module.exports = require('./demo');
