// Set up before each suite of `npm run test:unit` (jest.unit.config.js): tells tests/support/env.ts
// it runs without services, so a marked suite asking for one fails saying why.
process.env.TRELLIS_TEST_LANE = 'unit';
