// Builds the text an agent receives for one task: the task, where it sits in the plan, what its dependencies
// produced, its acceptance command and a few small relevant files — never the whole plan.
import { promises as fsp } from 'node:fs';
import type { AgentTaskInput } from './agent';
import { resolveInsideRoot } from './workspaceTools';
import { AGENT_REPORT_POINTS } from '../../core/agentReport';
import { errorMessage } from '../../core/describe';

/** Caps on what goes into a prompt. */
export interface PromptLimits {
  /** Per dependency result summary, characters. Default 2000. */
  maxDependencySummaryChars?: number;
  /** Per relevant file, characters. Default 8000. */
  maxFileChars?: number;
  /** All relevant files together, characters. Default 32000. */
  maxTotalFileChars?: number;
  /** Number of relevant files read. Default 10. */
  maxFiles?: number;
}

/** A relevant file as it goes into the prompt (contents already capped), or the reason it was left out. */
export interface PromptFile {
  path: string;
  content?: string;
  truncated?: boolean;
  skipped?: string;
}

const DEFAULTS: Required<PromptLimits> = {
  maxDependencySummaryChars: 2000,
  maxFileChars: 8000,
  maxTotalFileChars: 32000,
  maxFiles: 10,
};

function cap(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}\n…[truncated ${text.length - max} characters]`;
}

/** The plan's role line: the first line of every task prompt, and of an agent type's role prompt. */
export function roleLine(agentType: string): string {
  return `You are ${agentType} specialized agent.`;
}

/**
 * The role prompt of an agent type: the plan's role line ("You are {agent_type} specialized agent.") and how it
 * works. Used as the type's system prompt where an agent CLI takes one (Claude Code subagents).
 */
export function rolePrompt(agentType: string): string {
  return [
    roleLine(agentType),
    'You work on one task of a project plan at a time, only inside its working directory, and you finish by reporting',
    'what you did, the files you changed, the tests you ran and whether the task is complete.',
  ].join(' ');
}

/**
 * Builds the prompt text for `task`; `files` are the relevant files already loaded (see `loadRelevantFiles`). The plan's
 * agent prompt (its AgentExecutor.build_agent_prompt): the role line first, the task with its priority, estimate, epic,
 * feature and dependencies, then "Execute this task and report" with the four points (src/core/agentReport.ts reads them
 * back into the attempt row). The project adds the working directory, retry notes, dependency results, the acceptance
 * command and relevant files.
 */
export function buildPrompt(task: AgentTaskInput, files: readonly PromptFile[] = [], limits: PromptLimits = {}): string {
  const l = { ...DEFAULTS, ...limits };
  const lines: string[] = [];
  lines.push(roleLine(task.agentType), '');
  lines.push(`# Task ${task.id}: ${task.title}`, '');
  lines.push(`Task: ${task.title}`);
  if (task.priority) lines.push(`Priority: ${task.priority}`);
  if (task.estimateHours !== undefined) lines.push(`Estimated Hours: ${task.estimateHours}`);
  lines.push('Context:');
  lines.push(`- Epic: ${task.epic.id} — ${task.epic.title}`);
  lines.push(`- Feature: ${task.feature.id} — ${task.feature.title}`);
  lines.push(`- Dependencies: ${task.dependencies.length ? task.dependencies.map((d) => `${d.id} (${d.title})`).join(', ') : 'none'}`);
  lines.push(`- Agent role: ${task.agentType}`);
  lines.push(`- Working directory: ${task.cwd}`);
  if (task.attempt > 1) lines.push(`- This is attempt ${task.attempt}; earlier attempts did not complete. Check the current state before changing anything.`);
  if (task.previousError) lines.push(`- The previous attempt ended with: ${cap(task.previousError.replace(/\s+/g, ' '), 1000)}`);
  lines.push('');
  if (task.dependencies.length > 0) {
    lines.push('## Completed dependencies', '');
    for (const d of task.dependencies) {
      lines.push(`### ${d.id}: ${d.title}`);
      lines.push(d.resultSummary ? cap(d.resultSummary, l.maxDependencySummaryChars) : '(no summary recorded)');
      lines.push('');
    }
  }
  if (task.verify) {
    lines.push('## Acceptance', '', 'After you finish, this command will be run in the working directory and must succeed:', '');
    lines.push('```sh', task.verify, '```', '');
  }
  if (files.length > 0) {
    lines.push('## Relevant files', '');
    for (const f of files) {
      if (f.skipped !== undefined) {
        lines.push(`- ${f.path}: not included (${f.skipped})`);
        continue;
      }
      lines.push(`### ${f.path}${f.truncated ? ' (truncated)' : ''}`, '```', f.content ?? '', '```', '');
    }
    lines.push('');
  }
  lines.push('## Instructions', '');
  lines.push('Do this task, and only this task, inside the working directory.');
  lines.push('Execute this task and report:');
  AGENT_REPORT_POINTS.forEach((p, i) => lines.push(`${i + 1}. ${p.label}`));
  lines.push('Follow CODITECT best practices and update relevant documentation.', '');
  lines.push('End your reply with the report in exactly this form (later tasks that depend on this one see it):', '');
  AGENT_REPORT_POINTS.forEach((p, i) => lines.push(`${i + 1}. ${p.label}: <${p.ask}>`));
  return lines.join('\n');
}

/** Reads the task's relevant files (confined to `cwd`, capped); files that escape, are missing or are binary are listed as skipped. */
export async function loadRelevantFiles(cwd: string, paths: readonly string[] | undefined, limits: PromptLimits = {}): Promise<PromptFile[]> {
  const l = { ...DEFAULTS, ...limits };
  const out: PromptFile[] = [];
  let total = 0;
  for (const p of (paths ?? []).slice(0, l.maxFiles)) {
    if (total >= l.maxTotalFileChars) {
      out.push({ path: p, skipped: 'prompt file budget used up' });
      continue;
    }
    try {
      const abs = await resolveInsideRoot(cwd, p);
      const st = await fsp.stat(abs);
      if (!st.isFile()) {
        out.push({ path: p, skipped: 'not a regular file' });
        continue;
      }
      const budget = Math.min(l.maxFileChars, l.maxTotalFileChars - total);
      const fh = await fsp.open(abs, 'r');
      let text: string;
      let bytesRead: number;
      try {
        const buf = Buffer.alloc(Math.min(st.size, budget * 4));
        bytesRead = (await fh.read(buf, 0, buf.length, 0)).bytesRead;
        text = buf.subarray(0, bytesRead).toString('utf8');
      } finally {
        await fh.close();
      }
      if (text.includes('\u0000')) {
        out.push({ path: p, skipped: 'binary file' });
        continue;
      }
      const truncated = text.length > budget || bytesRead < st.size;
      const content = text.slice(0, budget);
      total += content.length;
      out.push({ path: p, content, truncated });
    } catch (e) {
      out.push({ path: p, skipped: errorMessage(e) });
    }
  }
  return out;
}
