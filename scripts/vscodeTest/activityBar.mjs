// Looks at an extension's activity-bar entry the way a person does: the icon VS Code masks with the theme's
// foreground must load (its URL answers with an SVG) and must put ink on the screen (the entry's own pixels are not
// all one colour). A missing icon file leaves the slot blank, which no DOM assertion alone would notice: VS Code
// draws the entry either way and only the mask image fails.
import { screenshot } from './browser.mjs';

/**
 * Share of an image's pixels that differ from its most common colour (the background) by more than `tolerance` on
 * any channel. The PNG is decoded by the browser itself (a fresh blank page with a canvas), so no image library
 * is needed.
 * @param {import('playwright-core').BrowserContext} context
 * @param {Buffer} png
 * @returns {Promise<{ width: number, height: number, inkRatio: number }>}
 */
export async function inkOf(context, png, tolerance = 24) {
  const page = await context.newPage();
  try {
    return await page.evaluate(
      async ({ b64, tolerance }) => {
        const img = new Image();
        img.src = `data:image/png;base64,${b64}`;
        await img.decode();
        const canvas = document.createElement('canvas');
        canvas.width = img.width;
        canvas.height = img.height;
        const ctx = canvas.getContext('2d');
        ctx.drawImage(img, 0, 0);
        const { data } = ctx.getImageData(0, 0, img.width, img.height);
        const counts = new Map();
        for (let i = 0; i < data.length; i += 4) {
          const k = (data[i] << 16) | (data[i + 1] << 8) | data[i + 2];
          counts.set(k, (counts.get(k) ?? 0) + 1);
        }
        const bg = [...counts.entries()].sort((a, b) => b[1] - a[1])[0][0];
        const [br, bgc, bb] = [(bg >> 16) & 255, (bg >> 8) & 255, bg & 255];
        let ink = 0;
        for (let i = 0; i < data.length; i += 4) {
          if (Math.abs(data[i] - br) > tolerance || Math.abs(data[i + 1] - bgc) > tolerance || Math.abs(data[i + 2] - bb) > tolerance) ink++;
        }
        return { width: img.width, height: img.height, inkRatio: ink / (img.width * img.height) };
      },
      { b64: png.toString('base64'), tolerance },
    );
  } finally {
    await page.close();
  }
}

/**
 * Checks the activity-bar entry whose aria-label starts with `label`: its icon URL loads as an SVG, and the rendered
 * entry has ink. Opens the container (a click) and waits for `expectRow` in its view when given, then saves a
 * screenshot of the window to test-artifacts/<shotName>.png.
 * @param {import('playwright-core').Page} page
 * @param {{ label: string, shotName: string, expectRow?: string | RegExp, timeoutMs?: number, minInk?: number }} o
 * @returns {Promise<{ iconUrl: string, status: number, svg: boolean, inkRatio: number, screenshot: string | null }>}
 */
export async function checkActivityBarIcon(page, o) {
  const timeout = o.timeoutMs ?? 60_000;
  const entry = page.locator(`.part.activitybar .action-item a[aria-label^="${o.label}"]`);
  await entry.waitFor({ timeout });
  // VS Code gives an extension's icon as a CSS mask over the foreground colour (class uri-icon).
  const iconUrl = await entry.evaluate((el) => {
    const cs = getComputedStyle(el);
    const mask = cs.maskImage && cs.maskImage !== 'none' ? cs.maskImage : cs.webkitMaskImage;
    return /url\("?([^")]+)"?\)/.exec(mask ?? '')?.[1] ?? '';
  });
  if (!iconUrl) throw new Error(`the ${o.label} activity-bar entry has no icon mask (mask-image is empty)`);
  const fetched = await page.evaluate(async (url) => {
    const r = await fetch(url);
    return { status: r.status, text: r.ok ? await r.text() : '' };
  }, iconUrl);
  const svg = /<svg[\s>]/.test(fetched.text);
  await entry.click();
  if (o.expectRow) {
    await page.locator('.part.sidebar .monaco-list-row[role="treeitem"]', { hasText: o.expectRow }).first().waitFor({ timeout });
  }
  // Away from the entry: a hovered entry draws a tooltip over the picture.
  const box = await page.locator('.part.statusbar').boundingBox();
  await page.mouse.move(box ? box.x + box.width / 2 : 700, box ? box.y - 2 : 880);
  // Only the icon's own square in the middle of the entry: the active entry's indicator bar runs along its edge.
  const r = await entry.boundingBox();
  if (!r) throw new Error(`the ${o.label} activity-bar entry is not visible`);
  const side = 24;
  const iconPng = await page.screenshot({ clip: { x: r.x + (r.width - side) / 2, y: r.y + (r.height - side) / 2, width: side, height: side } });
  const { inkRatio } = await inkOf(page.context(), iconPng);
  const shot = await screenshot(page, o.shotName);
  const minInk = o.minInk ?? 0.05;
  if (fetched.status !== 200 || !svg || inkRatio < minInk) {
    throw new Error(
      `the ${o.label} activity-bar icon does not render: ${iconUrl} answered ${fetched.status}${svg ? '' : ' without an <svg>'}, ` +
        `${(inkRatio * 100).toFixed(1)}% of the entry's pixels are ink (at least ${minInk * 100}% expected); picture: ${shot ?? 'not saved'}`,
    );
  }
  return { iconUrl, status: fetched.status, svg, inkRatio, screenshot: shot };
}
