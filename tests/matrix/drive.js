// Opens an access-matrix page in headless Chromium (Debian's, through
// playwright-core; no browser is ever downloaded), applies the filter steps it
// is given, tries the keyboard, takes a screenshot, and prints what it saw as
// JSON on stdout. Every request other than the page itself is recorded and
// aborted: the test asserts there are none.
//
// Usage: node drive.js PLAYWRIGHT_CORE_DIR CHROMIUM PAGE.html OUT_DIR STEPS.json
'use strict';
const path = require('path');
const [, , pwDir, chromium, pagePath, outDir, stepsPath] = process.argv;
const { chromium: browserType } = require(pwDir);
const fs = require('fs');

async function main() {
  const steps = JSON.parse(fs.readFileSync(stepsPath, 'utf8'));
  const pageUrl = 'file://' + path.resolve(pagePath);
  const args = ['--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-default-apps', '--disable-features=Translate,OptimizationHints,MediaRouter'];
  if (process.getuid && process.getuid() === 0) args.push('--no-sandbox');
  const browser = await browserType.launch({ executablePath: chromium, headless: true, args });
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const requests = [];
  const errors = [];
  const dialogs = [];
  await context.route('**', (route) => {
    const url = route.request().url();
    if (url === pageUrl) return route.continue();
    requests.push(url);
    return route.abort();
  });
  const page = await context.newPage();
  page.on('request', (r) => { if (r.url() !== pageUrl && !requests.includes(r.url())) requests.push(r.url()); });
  page.on('pageerror', (e) => errors.push('pageerror: ' + e.message));
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') errors.push('console ' + m.type() + ': ' + m.text()); });
  page.on('dialog', (d) => { dialogs.push(d.message()); d.dismiss(); });

  const t0 = Date.now();
  await page.goto(pageUrl, { waitUntil: 'load' });
  await page.waitForSelector('body[data-ready="1"]', { timeout: 30000 });
  const readyMs = Date.now() - t0;

  const snap = () => page.evaluate(() => {
    const g = document.getElementById('grid');
    return {
      rows: Number(g.dataset.rows), cols: Number(g.dataset.cols), assignments: Number(g.dataset.assignments),
      summary: document.getElementById('summary').textContent,
      cells: Array.from(document.querySelectorAll('#canvas .cell')).map((c) => ({
        principal: c.dataset.principal, account: c.dataset.account,
        functions: c.classList.contains('empty') ? [] : c.textContent.split(', '),
        expiring: c.classList.contains('exp'), break_glass: c.classList.contains('bg'),
        label: c.getAttribute('aria-label'),
      })),
    };
  });
  const renders = () => page.evaluate(() => Number(document.body.dataset.renders || 0));

  async function apply(step) {
    const before = await renders();
    const t = Date.now();
    await page.click('#clear');
    if (step.principal !== undefined) await page.fill('#f-principal', step.principal);
    if (step.account !== undefined) await page.fill('#f-account', step.account);
    if (step.function !== undefined) {
      const value = await page.evaluate((name) => {
        const o = Array.from(document.querySelectorAll('#f-function option')).find((o) => o.textContent === name || o.textContent === name + ' (break-glass)');
        return o ? o.value : null;
      }, step.function);
      if (value === null) throw new Error('no function option ' + step.function);
      await page.selectOption('#f-function', value);
    }
    if (step.ou !== undefined) {
      const value = await page.evaluate((p) => {
        const o = Array.from(document.querySelectorAll('#f-ou option')).find((o) => o.title === p);
        return o ? o.value : null;
      }, step.ou);
      if (value === null) throw new Error('no OU option ' + step.ou);
      await page.selectOption('#f-ou', value);
    }
    if (step.marked) await page.check('#f-marked');
    await page.waitForFunction((n) => Number(document.body.dataset.renders || 0) > n, before);
    return Date.now() - t;
  }

  const results = [];
  let firstFilterMs = null;
  for (const step of steps) {
    const ms = await apply(step);
    if (firstFilterMs === null && Object.keys(step).length) firstFilterMs = ms;
    results.push({ step, ms, ...(await snap()) });
  }

  // Keyboard: Tab from the last filter control reaches the grid's one
  // focusable cell; arrows move it; Enter shows its grants; the policy button.
  await page.click('#clear');
  const keyboard = {};
  await page.focus('#clear');
  await page.keyboard.press('Tab');
  keyboard.tab = await page.evaluate(() => { const a = document.activeElement; return a && a.classList.contains('cell') ? [Number(a.dataset.r), Number(a.dataset.c)] : (a ? a.id || a.tagName : null); });
  const moves = [];
  for (const key of ['ArrowRight', 'ArrowDown', 'ArrowLeft', 'ArrowUp', 'ArrowDown', 'End', 'Home']) {
    await page.keyboard.press(key);
    moves.push(await page.evaluate((k) => {
      const a = document.activeElement;
      const ok = a && a.classList.contains('cell');
      const style = ok ? getComputedStyle(a) : null;
      return { key: k, cell: ok ? [Number(a.dataset.r), Number(a.dataset.c)] : null, principal: ok ? a.dataset.principal : null, account: ok ? a.dataset.account : null,
        outline: style ? style.outlineStyle + ' ' + style.outlineWidth : null, tabindex: ok ? a.tabIndex : null,
        focusable: document.querySelectorAll('#canvas .cell[tabindex="0"]').length };
    }, key));
  }
  keyboard.moves = moves;
  await page.keyboard.press('Enter');
  keyboard.detail = await page.evaluate(() => document.getElementById('detail').textContent);
  const policyButton = await page.$('#detail button');
  if (policyButton) {
    await policyButton.focus();
    await page.keyboard.press('Enter');
    keyboard.policy = await page.evaluate(() => { const p = document.getElementById('policy'); return p ? p.textContent : null; });
  }
  keyboard.aria = await page.evaluate(() => ({
    grid: document.getElementById('grid').getAttribute('role'),
    rows: document.querySelectorAll('#canvas [role="row"]').length,
    gridcells: document.querySelectorAll('#canvas [role="gridcell"]').length,
    labelled: Array.from(document.querySelectorAll('#filters input, #filters select')).every((e) => e.getAttribute('aria-label') || e.closest('label')),
  }));

  const screenshot = path.join(outDir, 'matrix.png');
  await page.screenshot({ path: screenshot, fullPage: false });
  await browser.close();
  process.stdout.write(JSON.stringify({ readyMs, firstFilterMs, requests, errors, dialogs, results, keyboard, screenshot }));
}

main().catch((e) => { process.stderr.write(String(e && e.stack || e) + '\n'); process.exit(1); });
