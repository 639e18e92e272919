// Fallback for unknown hash routes.

import { h, replace } from '../dom.js';
import { pageHeader, empty } from '../ui.js';

export function render({ root, path }) {
  replace(root,
    pageHeader('Page not found'),
    h('div', { class: 'card' },
      empty({ title: `Nothing lives at “${path}”`, text: 'The link may be old or mistyped.',
        action: h('a', { class: 'btn btn-primary', href: '#/' }, 'Go to the dashboard') })));
  return undefined;
}
