// Other stored shallow-pca studies' verdicts next to this one's, claim by claim: the authors'
// setup against today's (`outputs.compareWith`), and a one-at-a-time ablation between them
// (`outputs.ablation`). Every verdict is generated from the other study's stored runs by the same
// code that judges this one.
import {
  columnTable,
  type DocBlock,
  type DocSection,
  loadStudy,
  type StoredRun,
  type StudyReportInput,
} from 'nmfinit';
import { pcaArtifactSchema } from './data.ts';
import type { ShallowPcaResult, ShallowPcaRun } from './run.ts';
import type { ShallowPcaSpec } from './spec.ts';
import { type ConfigSummary, realImageVerdict, summarize, type Verdict, verdicts } from './verdicts.ts';

type Artifacts = StudyReportInput<ShallowPcaSpec, ShallowPcaRun, ShallowPcaResult>['artifacts'];
type StudyRef = { dir: string; title: string };

/** The claims' verdicts of one study's stored runs, with the real-image one where both kinds of data are there. */
export function studyVerdicts(
  spec: ShallowPcaSpec,
  stored: readonly { config: ShallowPcaRun; result: ShallowPcaResult }[],
  artifacts: Artifacts,
): { summaries: ConfigSummary[]; all: Verdict[] } {
  const runs = stored.map((r) => ({ config: r.config, result: r.result }));
  const summaries = summarize(runs, spec.tolerance, spec.overlapThreshold);
  const all = verdicts(summaries, spec.tolerance, spec.overlapThreshold);
  const isImage = (label: string) => {
    const [h, w] = artifacts.read(`pca/${label}.json`, pcaArtifactSchema).imageShape;
    return h > 1 && w > 1;
  };
  const synthetic = spec.datasets.find((d) => !isImage(d.label))?.label;
  const images = spec.datasets.find((d) => isImage(d.label))?.label;
  const real = synthetic && images ? realImageVerdict(all, synthetic, images) : null;
  if (real) all.push(real);
  return { summaries, all };
}

/** Another study's verdicts, or why they could not be read. */
type Read = { ref: StudyRef; verdicts: Verdict[]; missing: number } | { ref: StudyRef; error: string };

function readStudy(ref: StudyRef): Read {
  try {
    const loaded = loadStudy([ref.dir]);
    if (loaded.kind.name !== 'shallow-pca')
      throw new Error(`it holds a '${loaded.kind.name}' study, not a shallow-pca one`);
    const spec = loaded.input.spec as ShallowPcaSpec;
    const runs = loaded.input.runs as StoredRun<ShallowPcaRun, ShallowPcaResult>[];
    return {
      ref,
      verdicts: studyVerdicts(spec, runs, loaded.input.artifacts).all,
      missing: loaded.input.missing.length,
    };
  } catch (e) {
    return { ref, error: (e as Error).message };
  }
}

/** A study's verdict on a claim, per data set; null where it does not judge the claim. */
function outcome(vs: readonly Verdict[], claim: string): { text: string; key: string } | null {
  const mine = vs.filter((v) => v.claim === claim);
  if (mine.length === 0) return null;
  const say = (v: Verdict) => (v.holds ? 'holds' : 'does not hold');
  return {
    text: mine.map((v) => `${v.dataset}: ${say(v)}`).join('; '),
    // Data set labels differ between studies (spiked, spiked500); the verdicts in order do not.
    key: mine.map(say).join('; '),
  };
}

const cell = (r: Read, claim: string) =>
  'error' in r ? 'not read' : (outcome(r.verdicts, claim)?.text ?? '(not judged)');

/** A message as a sentence: ended by a full stop unless it ends with one already (or a question mark). */
const sentence = (message: string) => (/[.?!]$/.test(message) ? message : `${message}.`);

/** Which studies could not be read and why, and which lack runs: said above the table. */
function readNotes(reads: readonly Read[], option: string): string[] {
  return reads
    .map((r) =>
      'error' in r
        ? `Not read: ${option} '${r.ref.dir}' (${r.ref.title}): ${sentence(r.error)} Run that study there, then \`nmfinit report\` this one again.`
        : r.missing > 0
          ? `${r.ref.title} (\`${r.ref.dir}\`): ${r.missing} of its runs are missing; its verdicts are from the runs stored.`
          : '',
    )
    .filter((t) => t !== '');
}

/**
 * The verdicts of another stored shallow-pca study (`outputs.compareWith`) next to this one's,
 * claim by claim: e.g. the authors' setup against today's configuration. Says why when the other
 * study cannot be read.
 */
export function comparisonSection(spec: ShallowPcaSpec, here: readonly Verdict[]): DocSection | null {
  const other = spec.outputs.compareWith;
  if (!other) return null;
  const title = `Next to ${other.title}`;
  const read = readStudy(other);
  if ('error' in read)
    return {
      title,
      blocks: [
        {
          type: 'text',
          text: `Not drawn: outputs.compareWith.dir '${other.dir}' could not be read (${read.error}). Run that study there, then \`nmfinit report\` this one again.`,
        },
      ],
    };
  const claims = [...new Set([...here, ...read.verdicts].map((v) => v.claim))];
  return {
    title,
    blocks: [
      {
        type: 'text',
        text: `Each claim's verdict in this study and in ${other.title} (\`${other.dir}\`, generated from its stored runs by the same code${read.missing > 0 ? `; ${read.missing} of its runs are missing` : ''}).`,
      },
      columnTable(
        'comparison',
        [
          { key: 'claim', label: 'claim', value: (c) => c },
          { key: 'here', label: 'this study', value: (c) => outcome(here, c)?.text ?? '(not judged)' },
          { key: 'there', label: other.title, value: (c) => cell(read, c) },
        ],
        claims,
      ),
    ],
  };
}

/**
 * Which single moves turn a claim's verdict from the baseline's: the moved studies whose verdict
 * differs. Where none does but this study's does, the verdict turns only with settings together.
 */
function turnedBy(claim: string, baseline: Read, moved: readonly Read[], here: readonly Verdict[]): string {
  if ('error' in baseline) return 'baseline not read';
  const base = outcome(baseline.verdicts, claim);
  if (!base) return 'baseline does not judge it';
  const turned = moved.filter((m) => {
    if ('error' in m) return false;
    const o = outcome(m.verdicts, claim);
    return o !== null && o.key !== base.key;
  });
  if (turned.length > 0) return turned.map((m) => m.ref.title).join('; ');
  const unread = moved.filter((m) => 'error' in m || outcome(m.verdicts, claim) === null).length;
  const mine = outcome(here, claim);
  const together = mine !== null && mine.key !== base.key;
  const caveat =
    unread > 0 ? ` (${unread} moved ${unread === 1 ? 'study' : 'studies'} not read or not judging it)` : '';
  return together
    ? `no single move; it turns with the settings together${caveat}`
    : `nothing: the same verdict throughout${caveat}`;
}

/**
 * The one-at-a-time ablation (`outputs.ablation`): each claim's verdict in the baseline, in each
 * study that moves one setting of it, and in this one, and the moves that turn it.
 */
export function ablationSection(spec: ShallowPcaSpec, here: readonly Verdict[]): DocSection | null {
  const ablation = spec.outputs.ablation;
  if (!ablation) return null;
  const baseline = readStudy(ablation.baseline);
  const moved = ablation.moved.map(readStudy);
  const reads = [baseline, ...moved];
  const claims = [
    ...new Set([...here, ...reads.flatMap((r) => ('error' in r ? [] : r.verdicts))].map((v) => v.claim)),
  ];
  const notes = readNotes(reads, 'outputs.ablation');
  const blocks: DocBlock[] = [
    {
      type: 'text',
      text: `Each claim's verdict in ${ablation.baseline.title} (\`${ablation.baseline.dir}\`), in studies that each move one of its settings towards this study's, and in this study, every one generated from its stored runs by the same code. The last column names the moves that turn the baseline's verdict.`,
    },
    ...notes.map((text): DocBlock => ({ type: 'text', text })),
    columnTable(
      'ablation',
      [
        { key: 'claim', label: 'claim', value: (c) => c },
        { key: 'baseline', label: ablation.baseline.title, value: (c) => cell(baseline, c) },
        ...moved.map((m, i) => ({ key: `moved${i}`, label: m.ref.title, value: (c: string) => cell(m, c) })),
        { key: 'here', label: 'this study', value: (c) => outcome(here, c)?.text ?? '(not judged)' },
        { key: 'turned', label: 'turned by', value: (c) => turnedBy(c, baseline, moved, here) },
      ],
      claims,
    ),
  ];
  return { title: 'One setting at a time', blocks };
}
