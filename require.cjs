// require('zcp') lands here: zcp is an ES module. Where Node can require an
// ES module (20.19 and later) this hands it over; on an older Node (18) it
// says so in one line instead of Node's ERR_REQUIRE_ESM trace.
'use strict';
try {
  module.exports = require('./dist/index.js');
} catch (e) {
  if (e && e.code === 'ERR_REQUIRE_ESM') {
    const err = new Error("zcp is an ES module: use import { Checkpoints } from 'zcp' (or await import('zcp')); require('zcp') works from Node 20.19 on");
    err.code = 'ERR_REQUIRE_ESM';
    throw err;
  }
  throw e;
}
