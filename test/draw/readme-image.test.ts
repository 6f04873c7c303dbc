import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { checkText } from '../../src/program.js';
import { all, attr, drawFile } from './svg-query.js';

/**
 * The README shows the design card's model as `rnnc draw` draws it. The committed SVG must be
 * exactly what the command makes now; when the drawing changes on purpose, regenerate it with
 * the command the README gives: `rnnc draw specs/pretrained-frozen.rnn -o docs/images/design-card.svg`.
 */
const IMAGE = 'docs/images/design-card.svg';
const SPEC = 'specs/pretrained-frozen.rnn';

it('the README shows docs/images/design-card.svg and says which command made it', () => {
  const readme = readFileSync('README.md', 'utf8');
  expect(readme).toMatch(/!\[The design card's model drawn by rnnc draw[^\]]*\]\(docs\/images\/design-card\.svg\)/);
  expect(readme).toContain(`\`rnnc draw ${SPEC} -o ${IMAGE}\``);
});

it('the spec it draws is the design card: embed(pretrained, frozen) |> bi(lstm(64)) x2 |> dense(1)', () => {
  const card = checkText('let pretrained = vectors("vectors/demo.16d.vec")\nembed(pretrained, frozen) |> bi(lstm(64)) x2 |> dense(1)\n', { fileName: SPEC });
  expect(drawFile(SPEC).checked.program).toEqual(card.program);
});

it(`${IMAGE} is what rnnc draw makes now`, () => {
  const { svg, doc } = drawFile(SPEC);
  expect(readFileSync(IMAGE, 'utf8')).toBe(svg);
  expect(all(doc, { 'data-role': 'layer' }).map((g) => attr(g, 'data-kind'))).toEqual(['embedding', 'bidirectional', 'bidirectional', 'dense']);
});
