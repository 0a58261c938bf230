// CommonJS entry: the ESM build loaded through require(esm), which Node
// supports without flags from 20.19 / 22.12 on (hence "engines").
'use strict';
module.exports = require('./index.js');
