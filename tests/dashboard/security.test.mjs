// The dashboard against a server that requires an API key: the page says so, works once the key is entered,
// keeps the key in session storage only, and runs under the server's Content-Security-Policy without violations.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { launchBrowser, startServer } from "./harness.mjs";

const API_KEY = "dashboard-tests-key-0123456789abcdef";
let server;
let browser;

before(async () => {
  server = await startServer({ extraArgs: [`--BertIg:Auth:ApiKeys:0=${API_KEY}`], apiKey: API_KEY, logName: "server-secured.log" });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

async function openPage(context) {
  const page = await context.newPage();
  await page.addInitScript(() => {
    window.__cspViolations = [];
    document.addEventListener("securitypolicyviolation", (e) => window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  const errors = [];
  page.on("pageerror", (error) => errors.push(error.message));
  const response = await page.goto(`${server.baseUrl}/`);
  await page.waitForSelector("body[data-ready='true']");
  return { page, errors, response };
}

test("Dashboard_ServerNeedsKey_UnauthenticatedUntilKeyEntered_ThenExplains", async () => {
  const context = await browser.newContext();
  context.setDefaultTimeout(120_000);
  try {
    const { page, errors, response } = await openPage(context);
    const csp = response.headers()["content-security-policy"] ?? "";
    assert.match(csp, /script-src 'self'/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.match(await page.textContent("#status"), /Unauthenticated/);

    await page.fill("#api-key", API_KEY);
    await page.dispatchEvent("#api-key", "change");
    await page.waitForFunction(() => [...document.querySelectorAll("#model option")].some((o) => o.value === "minilm-sentiment"));
    await page.fill("#text", "This movie is superb");
    await page.fill("#steps", "8");
    await page.click("#explain");
    await page.waitForSelector("body[data-run-state='done'], body[data-run-state='error']");
    assert.equal(await page.getAttribute("body", "data-run-state"), "done", await page.textContent("#status"));

    const storage = await page.evaluate(() => ({
      session: sessionStorage.getItem("bertig.apiKey"),
      local: Object.keys(localStorage).length,
      cookies: document.cookie,
    }));
    assert.deepEqual(storage, { session: API_KEY, local: 0, cookies: "" });
    // report.css reaches the page through styles.css (no inline <style> under the CSP).
    const header = await page.locator("#report .bertig-table th").first().evaluate((n) => getComputedStyle(n).backgroundColor);
    assert.equal(header, "rgb(246, 248, 250)");
    assert.deepEqual(await page.evaluate(() => window.__cspViolations), []);
    assert.deepEqual(errors, []);

    // Another session (another tab or browser) starts without the key.
    const other = await browser.newContext();
    try {
      const fresh = await openPage(other);
      assert.equal(await fresh.page.inputValue("#api-key"), "");
      assert.match(await fresh.page.textContent("#status"), /Unauthenticated/);
    } finally {
      await other.close();
    }
  } finally {
    await context.close();
  }
});
