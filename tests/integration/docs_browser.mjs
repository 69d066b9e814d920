// Drives /docs (Swagger UI) and /redoc in headless Chromium with playwright-core: the pages
// render, nothing is fetched from another origin, and an upload through "Try it out" succeeds.
// Usage: node docs_browser.mjs BASE_URL TOKEN KEY  (BASE_URL may end in a path prefix)
// Prints one JSON object: {status, body, offOrigin, redocTitle}. offOrigin lists what the pages
// tried to fetch from elsewhere (on an offline machine those fail, so failures count too).
import { createRequire } from "node:module";

const require = createRequire(process.env.NPM_MODULES + "/");
const { chromium } = require("playwright-core");

const [base, token, key] = process.argv.slice(2);
const origin = new URL(base).origin;
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: [
    "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
  ],
});
const offOrigin = [];
try {
  const page = await browser.newPage();
  // A request to another origin counts unless the page's own policy blocked it before it left.
  const elsewhere = (url) =>
    !url.startsWith(origin) && !url.startsWith("data:") && !url.startsWith("blob:");
  page.on("requestfinished", (request) => {
    if (elsewhere(request.url())) offOrigin.push(request.url());
  });
  page.on("requestfailed", (request) => {
    const reason = request.failure()?.errorText ?? "";
    if (elsewhere(request.url()) && !["csp", "net::ERR_BLOCKED_BY_CSP"].includes(reason)) {
      offOrigin.push(`${request.url()} (${reason})`);
    }
  });
  await page.goto(`${base}/docs`);
  await page.locator("#operations-objects-put_object").waitFor({ timeout: 60000 });

  // Authorize with the bearer token, as a user would.
  await page.locator(".auth-wrapper button.authorize").click();
  await page.locator(".modal-ux input").first().fill(token);
  await page.locator(".modal-ux button.modal-btn.authorize").click();
  await page.locator(".modal-ux button.btn-done").click();

  // PUT /v1/objects/{key}: Try it out, a file as the body, Execute.
  const put = page.locator("#operations-objects-put_object");
  await put.locator(".opblock-summary").click();
  await put.getByRole("button", { name: /try it out/i }).click();
  await put.locator("tr[data-param-name='key'] input").fill(key);
  await put.locator("input[type=file]").setInputFiles({
    name: "hello.txt",
    mimeType: "text/plain",
    buffer: Buffer.from("uploaded from Swagger UI"),
  });
  await put.getByRole("button", { name: /execute/i }).click();
  const status = put.locator(".live-responses-table .response .response-col_status").first();
  await status.waitFor({ timeout: 60000 });
  const statusText = (await status.innerText()).trim();
  const body = await put.locator(".live-responses-table .response-col_description pre").first()
    .innerText();

  await page.goto(`${base}/redoc`);
  const heading = page.locator("h1").first();
  await heading.waitFor({ timeout: 60000 });
  await page.locator("h2", { hasText: "Upload an object (streamed)" }).first()
    .waitFor({ timeout: 60000 });
  console.log(JSON.stringify({
    status: statusText,
    body,
    offOrigin,
    redocTitle: (await heading.innerText()).trim(),
  }));
} finally {
  await browser.close();
}
