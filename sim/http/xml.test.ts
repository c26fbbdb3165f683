import { describe, expect, it } from 'vitest';
import { renderXml } from './xml';

describe('renderXml', () => {
  it('repeats array items under the wrapper and escapes text', () => {
    expect(renderXml('R', { A: { B: [{ C: '<&>' }, { C: 1 }] }, D: ['x', 'y'], E: null })).toBe(
      '<?xml version="1.0" encoding="UTF-8"?><R><A><B><C>&lt;&amp;&gt;</C></B><B><C>1</C></B></A><D>x</D><D>y</D></R>',
    );
  });
});
