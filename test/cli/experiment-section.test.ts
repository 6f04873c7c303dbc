import { describe, expect, it } from 'vitest';
import { replaceSection } from '../../src/cli/commands/experiment.js';

// `rnnc experiment --out FILE.md --section TITLE` keeps several runs' tables, and notes written
// by hand, in one document: it replaces only its own section.
describe('replaceSection', () => {
  it('starts a document when there is none', () => {
    expect(replaceSection('', 'SST-2', '| a |')).toBe('# Experiment results\n\n## SST-2\n\n| a |\n');
  });

  it('replaces the section of that title and keeps everything around it', () => {
    const doc = '# Results\n\nintro\n\n## A\n\nold A\n\n## B\n\nold B\n\n## Notes\n\nby hand\n';
    expect(replaceSection(doc, 'B', 'new B')).toBe('# Results\n\nintro\n\n## A\n\nold A\n\n## B\n\nnew B\n\n## Notes\n\nby hand\n');
    expect(replaceSection(doc, 'Notes', 'n')).toBe('# Results\n\nintro\n\n## A\n\nold A\n\n## B\n\nold B\n\n## Notes\n\nn\n');
  });

  it('appends a section that is not there yet', () => {
    expect(replaceSection('# Results\n\n## A\n\na\n', 'C', 'c')).toBe('# Results\n\n## A\n\na\n\n## C\n\nc\n');
  });

  it('does not take a longer heading for the title', () => {
    expect(replaceSection('## A2\n\nx\n', 'A', 'a')).toBe('## A2\n\nx\n\n## A\n\na\n');
  });
});
