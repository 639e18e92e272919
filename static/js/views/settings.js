// Settings: the effective configuration (read-only, secrets masked by the
// server) and backups (back up now, list, download through fetch → blob).

import { h, replace, time, fmtBytes, fmtNumber } from '../dom.js';
import { api, download, enc } from '../api.js';
import { pageHeader, loading, empty, errorBox, table, button, toast, busy } from '../ui.js';

function configValue(value) {
  if (value === null || value === undefined) return h('span', { class: 'muted' }, 'not set');
  if (typeof value === 'boolean') return h('code', { class: value ? 'cfg-true' : 'cfg-false' }, String(value));
  if (typeof value === 'number') return h('code', null, String(value));
  if (Array.isArray(value)) {
    if (!value.length) return h('span', { class: 'muted' }, 'empty list');
    if (value.every((v) => typeof v !== 'object' || v === null)) {
      return h('span', { class: 'badges' }, value.map((v) => h('code', { class: 'chip' }, String(v))));
    }
    return h('pre', { class: 'code-block' }, JSON.stringify(value, null, 2));
  }
  if (typeof value === 'object') return h('pre', { class: 'code-block' }, JSON.stringify(value, null, 2));
  return h('code', { class: 'break' }, String(value));
}

/** Top-level scalars go in a "General" group; each object becomes its own section. */
function renderConfig(config) {
  const general = [];
  const sections = [];
  for (const [key, value] of Object.entries(config || {})) {
    if (value && typeof value === 'object' && !Array.isArray(value)) sections.push([key, value]);
    else general.push([key, value]);
  }
  const group = (name, entries, prefix) => h('section', { class: 'config-group', testid: `config-${name}` },
    h('h3', null, name),
    h('dl', { class: 'props' }, entries.flatMap(([k, v]) => {
      if (v && typeof v === 'object' && !Array.isArray(v)) {
        return Object.entries(v).flatMap(([k2, v2]) => [
          h('dt', null, h('code', null, `${prefix}${k}.${k2}`)), h('dd', null, configValue(v2))]);
      }
      return [h('dt', null, h('code', null, `${prefix}${k}`)), h('dd', { 'data-key': `${prefix}${k}` }, configValue(v))];
    })));
  return h('div', { class: 'config', testid: 'config' },
    general.length && group('general', general, ''),
    sections.map(([name, value]) => group(name, Object.entries(value), `${name}.`)));
}

export function render({ root, signal }) {
  const configBox = h('div', { 'aria-live': 'polite' }, loading('Loading configuration…'));
  const backupsBox = h('div', { 'aria-live': 'polite' }, loading('Loading backups…'));
  const result = h('div', { 'aria-live': 'polite', testid: 'backup-result' });

  const backupBtn = button('Back up now', () => busy(backupBtn, async () => {
    replace(result, loading('Writing a consistent snapshot…'));
    try {
      const b = await api.post('/api/admin/backup', undefined, { signal });
      replace(result, h('div', { class: 'alert alert-success', role: 'status', testid: 'backup-done' },
        h('span', null, 'Backup written: ', h('strong', { testid: 'backup-name' }, b.name), ' — ',
          fmtBytes(b.size_bytes), ` in ${fmtNumber(b.duration_ms)} ms, at `,
          h('code', { class: 'break', testid: 'backup-path' }, b.path), '.')));
      toast(`Backup ${b.name} written.`);
      loadBackups();
    } catch (err) {
      replace(result);
      throw err;
    }
  }), { kind: 'primary', iconName: 'download', testid: 'backup-now' });

  replace(root,
    pageHeader('Settings', { subtitle: 'How this instance is configured, and its backups.' }),
    h('section', { class: 'card', 'aria-labelledby': 'bk-h' },
      h('div', { class: 'card-head' },
        h('div', null, h('h2', { id: 'bk-h' }, 'Backups'),
          h('p', { class: 'muted small' }, 'An online snapshot of the database, written under the data directory while Folio keeps serving.')),
        backupBtn),
      result,
      backupsBox),
    h('section', { class: 'card', 'aria-labelledby': 'cfg-h' },
      h('div', { class: 'card-head' },
        h('div', null, h('h2', { id: 'cfg-h' }, 'Effective configuration'),
          h('p', { class: 'muted small' }, 'Read-only. Defaults < config.toml < FOLIO_* environment variables; secrets are masked by the server.'))),
      configBox));

  async function loadConfig() {
    try {
      const config = await api.get('/api/admin/config', { signal });
      replace(configBox, config && Object.keys(config).length ? renderConfig(config) : empty({ title: 'No configuration returned' }));
    } catch (err) {
      if (signal.aborted) return;
      replace(configBox, errorBox(err, { retry: () => { replace(configBox, loading()); loadConfig(); } }));
    }
  }

  async function loadBackups() {
    try {
      const data = await api.get('/api/admin/backups', { signal });
      const backups = data.backups || [];
      if (!backups.length) {
        replace(backupsBox, empty({ title: 'No backups yet', text: '“Back up now” writes the first one.' }));
        return;
      }
      replace(backupsBox, table({
        caption: 'Backups', rows: backups, rowTestid: 'backup-row', rowKey: (b) => b.name,
        columns: [
          { label: 'Name', cell: (b) => h('code', { class: 'break', testid: 'backup-row-name' }, b.name) },
          { label: 'Size', cell: (b) => fmtBytes(b.size_bytes) },
          { label: 'Created', cell: (b) => time(b.created_at, { seconds: true }) },
          { label: 'Actions', className: 'col-actions', cell: (b) => downloadButton(b) },
        ],
      }));
    } catch (err) {
      if (signal.aborted) return;
      replace(backupsBox, errorBox(err, { retry: () => { replace(backupsBox, loading()); loadBackups(); } }));
    }
  }

  function downloadButton(b) {
    const btn = button('Download', () => busy(btn, async () => {
      const size = await download(`/api/admin/backups/${enc(b.name)}`, b.name);
      toast(`Downloaded ${b.name} (${fmtBytes(size)}).`);
    }), { small: true, iconName: 'download', testid: 'backup-download', ariaLabel: `Download ${b.name}` });
    return btn;
  }

  loadConfig();
  loadBackups();
  return undefined;
}
