// The access matrix: builds the principal x account grid from the page's
// JSON data and draws only the rows and columns in view. Every value from the
// program is set as text, never as markup.
(function () {
  'use strict';
  var D = JSON.parse(document.getElementById('matrix-data').textContent);
  var ROW = 28, COL = 150, HEAD_W = 240, HEAD_H = 52, OVERSCAN = 3;
  var nA = D.accounts.length, nP = D.principals.length, nG = D.grants.length;
  var $ = function (id) { return document.getElementById(id); };
  var grid = $('grid'), canvas = $('canvas'), detail = $('detail');
  var fPrincipal = $('f-principal'), fFunction = $('f-function'), fOu = $('f-ou');
  var fAccount = $('f-account'), fMarked = $('f-marked');

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  // Each grant's accounts, and each cell's grants (key: principal * nA + account).
  var gAcc = new Array(nG), gExp = new Uint8Array(nG), gBg = new Uint8Array(nG);
  var cells = new Map();
  var total = 0;
  (function decode() {
    for (var gi = 0; gi < nG; gi++) {
      var g = D.grants[gi], end = 0, accs = [];
      for (var k = 4; k + 1 < g.length; k += 2) {
        var start = end + g[k], len = g[k + 1];
        for (var a = start; a < start + len && a < nA; a++) accs.push(a);
        end = start + len;
      }
      gAcc[gi] = accs;
      total += accs.length;
      gExp[gi] = g[2] > 0 && D.untils[g[2] - 1] && D.untils[g[2] - 1][1] ? 1 : 0;
      gBg[gi] = D.functions[g[1]] && D.functions[g[1]].bg ? 1 : 0;
      for (var j = 0; j < accs.length; j++) {
        var key = g[0] * nA + accs[j], bucket = cells.get(key);
        if (bucket) bucket.push(gi); else cells.set(key, [gi]);
      }
    }
  })();

  function ouPath(acct) { var o = D.accounts[acct][2]; return o > 0 ? D.ous[o - 1] : ''; }
  function kindWord(p) { return D.principals[p][0] === 0 ? 'group' : 'user'; }

  // Filters.
  var state = { rows: [], cols: [], pOk: null, gOk: null, r: 0, c: 0, shown: 0 };

  function fill() {
    var dl = $('l-principal');
    D.principals.forEach(function (p) { var o = el('option'); o.value = p[1]; dl.appendChild(o); });
    D.functions.forEach(function (f, i) {
      var o = el('option', null, f.n + (f.bg ? ' (break-glass)' : ''));
      o.value = String(i);
      fFunction.appendChild(o);
    });
    D.ous.forEach(function (path, i) {
      var depth = path.split('/').length - 1;
      var o = el('option', null, '\u00a0\u00a0'.repeat(depth) + path.split('/').pop());
      o.value = String(i + 1);
      o.title = path;
      fOu.appendChild(o);
    });
    var da = $('l-account');
    D.accounts.forEach(function (a) { var o = el('option'); o.value = a[0]; da.appendChild(o); });
    $('warn-days').textContent = String(D.warn);
  }

  function compute() {
    var pt = fPrincipal.value.trim().toLowerCase();
    var at = fAccount.value.trim().toLowerCase();
    var fn = fFunction.value === '' ? -1 : Number(fFunction.value);
    var ou = fOu.value === '' ? 0 : Number(fOu.value);
    var ouP = ou > 0 ? D.ous[ou - 1] : null;
    var marked = fMarked.checked;
    var acctOk = new Uint8Array(nA), pOk = new Uint8Array(nP), gOk = new Uint8Array(nG);
    for (var a = 0; a < nA; a++) {
      var A = D.accounts[a], path = ouPath(a);
      var okOu = ouP === null || path === ouP || path.indexOf(ouP + '/') === 0;
      var okText = at === '' || A[0].toLowerCase().indexOf(at) >= 0 || A[1].indexOf(at) >= 0;
      acctOk[a] = okOu && okText ? 1 : 0;
    }
    for (var p = 0; p < nP; p++) {
      var P = D.principals[p];
      pOk[p] = pt === '' || P[1].toLowerCase().indexOf(pt) >= 0 || P[2].toLowerCase().indexOf(pt) >= 0 ? 1 : 0;
    }
    var rowHas = new Uint8Array(nP), colHas = new Uint8Array(nA), shown = 0;
    for (var gi = 0; gi < nG; gi++) {
      var g = D.grants[gi];
      if (!pOk[g[0]] || (fn >= 0 && g[1] !== fn) || (marked && !gExp[gi] && !gBg[gi])) continue;
      gOk[gi] = 1;
      var accs = gAcc[gi];
      for (var j = 0; j < accs.length; j++) {
        if (acctOk[accs[j]]) { rowHas[g[0]] = 1; colHas[accs[j]] = 1; shown++; }
      }
    }
    var rows = [], cols = [];
    for (p = 0; p < nP; p++) if (rowHas[p]) rows.push(p);
    for (a = 0; a < nA; a++) if (colHas[a]) cols.push(a);
    state.rows = rows; state.cols = cols; state.gOk = gOk; state.shown = shown;
    state.r = Math.min(state.r, Math.max(0, rows.length - 1));
    state.c = Math.min(state.c, Math.max(0, cols.length - 1));
    canvas.style.width = (HEAD_W + cols.length * COL) + 'px';
    canvas.style.height = (HEAD_H + rows.length * ROW) + 'px';
    grid.setAttribute('aria-rowcount', String(rows.length + 1));
    grid.setAttribute('aria-colcount', String(cols.length + 1));
    grid.dataset.rows = String(rows.length);
    grid.dataset.cols = String(cols.length);
    grid.dataset.assignments = String(shown);
    $('summary').textContent = rows.length + ' principal(s) \u00d7 ' + cols.length + ' account(s): ' +
      shown + ' of ' + total + ' assignment(s) shown. Expiry judged on ' + D.today + '.';
    render(false);
    document.body.dataset.renders = String(Number(document.body.dataset.renders || 0) + 1);
  }

  function cellGrants(p, a) {
    var list = cells.get(p * nA + a), out = [];
    if (!list) return out;
    for (var i = 0; i < list.length; i++) if (state.gOk[list[i]]) out.push(list[i]);
    return out;
  }

  function place(e, x, y) { e.style.left = x + 'px'; e.style.top = y + 'px'; }

  var activeEl = null;
  function render(focus) {
    var rows = state.rows, cols = state.cols;
    var sl = grid.scrollLeft, st = grid.scrollTop, vw = grid.clientWidth, vh = grid.clientHeight;
    var r0 = Math.max(0, Math.floor(st / ROW) - OVERSCAN);
    var r1 = Math.min(rows.length, Math.ceil((st + vh) / ROW) + OVERSCAN);
    var c0 = Math.max(0, Math.floor(sl / COL) - OVERSCAN);
    var c1 = Math.min(cols.length, Math.ceil((sl + vw) / COL) + OVERSCAN);
    var frag = document.createDocumentFragment();
    activeEl = null;
    if (rows.length === 0) {
      var none = el('p', null, 'No access matches the filters.');
      none.setAttribute('role', 'row');
      frag.appendChild(none);
      canvas.replaceChildren(frag);
      return;
    }
    var head = el('div');
    head.setAttribute('role', 'row');
    head.setAttribute('aria-rowindex', '1');
    var corner = el('div', 'corner', 'principal \u2193 / account \u2192');
    corner.setAttribute('role', 'columnheader');
    corner.setAttribute('aria-colindex', '1');
    place(corner, sl, st);
    head.appendChild(corner);
    for (var c = c0; c < c1; c++) {
      var A = D.accounts[cols[c]];
      var ch = el('div', 'ch');
      ch.setAttribute('role', 'columnheader');
      ch.setAttribute('aria-colindex', String(c + 2));
      ch.appendChild(el('span', 'ou', ouPath(cols[c]) || '(root)'));
      ch.appendChild(el('span', null, A[0]));
      ch.title = A[0] + ' (' + A[1] + ')' + (ouPath(cols[c]) ? ' in ' + ouPath(cols[c]) : '');
      place(ch, HEAD_W + c * COL, st);
      head.appendChild(ch);
    }
    frag.appendChild(head);
    for (var r = r0; r < r1; r++) {
      var p = rows[r], P = D.principals[p];
      var row = el('div');
      row.setAttribute('role', 'row');
      row.setAttribute('aria-rowindex', String(r + 2));
      var rh = el('div', 'rh');
      rh.setAttribute('role', 'rowheader');
      rh.setAttribute('aria-colindex', '1');
      rh.appendChild(el('span', 'kind', kindWord(p)));
      rh.appendChild(el('span', null, P[1]));
      rh.title = kindWord(p) + ' ' + P[1] + (P[2] !== P[1] ? ' (' + P[2] + ')' : '');
      place(rh, sl, HEAD_H + r * ROW);
      for (c = c0; c < c1; c++) {
        var a = cols[c], gs = cellGrants(p, a), names = [], exp = false, bg = false;
        for (var i = 0; i < gs.length; i++) {
          var name = D.functions[D.grants[gs[i]][1]].n;
          if (names.indexOf(name) < 0) names.push(name);
          exp = exp || gExp[gs[i]] === 1;
          bg = bg || gBg[gs[i]] === 1;
        }
        var cell = el('div', 'cell' + (names.length ? '' : ' empty') + (exp ? ' exp' : '') + (bg ? ' bg' : ''),
          names.length ? names.join(', ') : '\u2013');
        cell.setAttribute('role', 'gridcell');
        cell.setAttribute('aria-colindex', String(c + 2));
        var label = P[1] + ' in ' + D.accounts[a][0] + ': ' + (names.length ? names.join(', ') : 'no access') +
          (exp ? '; expires soon' : '') + (bg ? '; break-glass' : '');
        cell.setAttribute('aria-label', label);
        cell.title = label;
        cell.dataset.r = String(r);
        cell.dataset.c = String(c);
        cell.dataset.principal = kindWord(p) + ':' + P[1];
        cell.dataset.account = D.accounts[a][1];
        var active = r === state.r && c === state.c;
        cell.tabIndex = active ? 0 : -1;
        if (active) activeEl = cell;
        place(cell, HEAD_W + c * COL, HEAD_H + r * ROW);
        row.appendChild(cell);
      }
      row.appendChild(rh);
      frag.appendChild(row);
    }
    var hadFocus = grid.contains(document.activeElement) && document.activeElement !== grid;
    canvas.replaceChildren(frag);
    if ((focus || hadFocus) && activeEl) activeEl.focus({ preventScroll: true });
  }

  // Scrolls so that the active cell is in view, below and right of the headers.
  function reveal() {
    var x = HEAD_W + state.c * COL, y = HEAD_H + state.r * ROW;
    if (x - HEAD_W < grid.scrollLeft) grid.scrollLeft = x - HEAD_W;
    else if (x + COL > grid.scrollLeft + grid.clientWidth) grid.scrollLeft = x + COL - grid.clientWidth;
    if (y - HEAD_H < grid.scrollTop) grid.scrollTop = y - HEAD_H;
    else if (y + ROW > grid.scrollTop + grid.clientHeight) grid.scrollTop = y + ROW - grid.clientHeight;
  }

  function move(r, c) {
    state.r = Math.max(0, Math.min(state.rows.length - 1, r));
    state.c = Math.max(0, Math.min(state.cols.length - 1, c));
    reveal();
    render(true);
  }

  grid.addEventListener('keydown', function (ev) {
    if (!ev.target.classList || !ev.target.classList.contains('cell')) return;
    var page = Math.max(1, Math.floor((grid.clientHeight - HEAD_H) / ROW) - 1);
    var r = state.r, c = state.c, handled = true;
    switch (ev.key) {
      case 'ArrowUp': r--; break;
      case 'ArrowDown': r++; break;
      case 'ArrowLeft': c--; break;
      case 'ArrowRight': c++; break;
      case 'PageUp': r -= page; break;
      case 'PageDown': r += page; break;
      case 'Home': if (ev.ctrlKey) r = 0; c = 0; break;
      case 'End': if (ev.ctrlKey) r = state.rows.length - 1; c = state.cols.length - 1; break;
      case 'Enter': case ' ': showCell(state.rows[state.r], state.cols[state.c]); break;
      default: handled = false;
    }
    if (!handled) return;
    ev.preventDefault();
    if (r !== state.r || c !== state.c) move(r, c);
  });

  grid.addEventListener('click', function (ev) {
    var cell = ev.target.closest ? ev.target.closest('.cell') : null;
    if (!cell) return;
    state.r = Number(cell.dataset.r);
    state.c = Number(cell.dataset.c);
    render(true);
    showCell(state.rows[state.r], state.cols[state.c]);
  });

  var pending = false;
  grid.addEventListener('scroll', function () {
    if (pending) return;
    pending = true;
    window.requestAnimationFrame(function () { pending = false; render(false); });
  });
  window.addEventListener('resize', function () { render(false); });

  function showCell(p, a) {
    if (p === undefined || a === undefined) return;
    var P = D.principals[p], A = D.accounts[a];
    detail.replaceChildren();
    detail.appendChild(el('h2', null, kindWord(p) + ' ' + P[1]));
    if (P[2] !== P[1]) detail.appendChild(el('p', null, 'In the identity store: ' + P[2]));
    detail.appendChild(el('p', null, 'Account ' + A[0] + ' (' + A[1] + '), ' + (ouPath(a) ? 'OU ' + ouPath(a) : 'directly under the root')));
    var gs = cellGrants(p, a);
    if (!gs.length) { detail.appendChild(el('p', null, 'No access here under the current filters.')); return; }
    var ul = el('ul');
    gs.forEach(function (gi) {
      var g = D.grants[gi], F = D.functions[g[1]], li = el('li');
      li.appendChild(el('strong', null, F.n));
      if (gBg[gi]) li.appendChild(el('span', 'badge bg', 'break-glass'));
      if (g[2] > 0) li.appendChild(el('span', gExp[gi] ? 'badge exp' : 'badge', 'until ' + D.untils[g[2] - 1][0]));
      if (g[3] > 0) li.appendChild(el('span', 'badge', 'owner ' + D.owners[g[3] - 1]));
      var b = el('button', null, 'Policy');
      b.type = 'button';
      b.setAttribute('aria-label', 'Show the policy of ' + F.n);
      b.addEventListener('click', function () { showPolicy(g[1]); });
      li.appendChild(document.createTextNode(' '));
      li.appendChild(b);
      ul.appendChild(li);
    });
    detail.appendChild(ul);
  }

  function list(title, items) {
    if (!items || !items.length) return;
    detail.appendChild(el('h3', null, title));
    var ul = el('ul');
    items.forEach(function (x) { ul.appendChild(el('li', null, x)); });
    detail.appendChild(ul);
  }

  function showPolicy(f) {
    var F = D.functions[f];
    if (!F) return;
    var old = $('policy');
    if (old) old.remove();
    var sec = el('section');
    sec.id = 'policy';
    sec.setAttribute('aria-label', 'Policy of ' + F.n);
    var keep = detail;
    detail = sec;
    detail.appendChild(el('h2', null, 'Policy of ' + F.n));
    if (F.f !== F.n) detail.appendChild(el('p', null, 'function ' + F.f));
    if (F.d) detail.appendChild(el('p', null, F.d));
    if (F.s) detail.appendChild(el('p', null, 'Session duration ' + F.s));
    if (F.bg) detail.appendChild(el('p', 'bg', 'Break-glass: every use raises an alarm' + (F.notify ? ' to ' + F.notify : '') + '.'));
    list('AWS-managed policies', F.m);
    list('Customer managed policies', F.c);
    if (F.b) list('Permissions boundary', [F.b]);
    if (F.i) {
      detail.appendChild(el('h3', null, 'Inline policy'));
      var text = F.i;
      try { text = JSON.stringify(JSON.parse(F.i), null, 2); } catch (e) { /* shown as it is */ }
      detail.appendChild(el('pre', null, text));
    }
    detail = keep;
    detail.appendChild(sec);
    sec.setAttribute('tabindex', '-1');
    sec.focus();
  }

  $('show-policy').addEventListener('click', function () {
    if (fFunction.value !== '') { detail.replaceChildren(); showPolicy(Number(fFunction.value)); }
  });
  [fPrincipal, fAccount].forEach(function (e) { e.addEventListener('input', compute); });
  [fFunction, fOu, fMarked].forEach(function (e) { e.addEventListener('change', compute); });
  $('filters').addEventListener('submit', function (ev) { ev.preventDefault(); });
  $('clear').addEventListener('click', function () {
    fPrincipal.value = ''; fAccount.value = ''; fFunction.value = ''; fOu.value = ''; fMarked.checked = false;
    compute();
  });

  fill();
  compute();
  document.body.dataset.ready = '1';
})();
