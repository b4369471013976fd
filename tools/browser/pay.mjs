// Drives the hosted payment page in Debian's Chromium for the browser tests
// (crates/sluice-server/tests/payment_page.rs). One scenario per run, given as JSON in argv[2]:
//   {url, scenario: "wallet" | "tronlink" | "solana" | "deposit" | "reload" | "language" | "exchange" | "expired" | "notfound", rpcUrl,
//    account, chainId, rejectFirst, shots, name, locale (the browser's language, default en-US)}
// The wallet is a small EIP-1193 provider injected into the page and announced by EIP-6963;
// its requests are answered here (accounts, chain) or forwarded to anvil's unlocked accounts.
// Prints one JSON line per event ({"event": "state", ...}) and a last {"event": "done"}; exits
// non-zero on a timeout or an error. Console errors and answers of 400 or more are reported as
// {"event": "console"} and {"event": "http"}; {"event": "page"} gives the heading, title and
// language once the page has loaded. Screenshots of every state at 360 and 1280 px go to
// `shots`; axe-core's serious and critical violations are reported per state.
import { chromium } from "playwright-core";
import { readFileSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";

const config = JSON.parse(process.argv[2]);
const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const emit = (event) => console.log(JSON.stringify(event));
mkdirSync(config.shots, { recursive: true });

const browser = await chromium.launch({
  executablePath: process.env.SLUICE_CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync"],
});
let failed = false;
let lastStatus = "";
try {
  const context = await browser.newContext({ viewport: { width: 360, height: 800 }, locale: config.locale || "en-US" });
  let rejectNext = Boolean(config.rejectFirst);
  let switched = 0;
  await context.exposeFunction("__sluiceTestWallet", async (method, params) => {
    switch (method) {
      case "eth_requestAccounts":
      case "eth_accounts":
        return { result: [config.account] };
      case "eth_chainId":
        return { result: `0x${Number(config.chainId).toString(16)}` };
      case "wallet_switchEthereumChain":
        switched += 1;
        return BigInt(params[0].chainId) === BigInt(config.chainId)
          ? { result: null }
          : { error: { code: 4902, message: "Unrecognized chain" } };
      case "eth_sendTransaction":
        if (rejectNext) {
          rejectNext = false;
          return { error: { code: 4001, message: "User rejected the request." } };
        }
        params[0].from = config.account;
    }
    const answer = await fetch(config.rpcUrl, {
      method: "POST", headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
    }).then((r) => r.json());
    return answer.error ? { error: answer.error } : { result: answer.result };
  });
  await context.addInitScript(() => {
    const provider = {
      async request({ method, params }) {
        const answer = await window.__sluiceTestWallet(method, params || []);
        if (answer.error) {
          const error = new Error(answer.error.message);
          error.code = answer.error.code;
          throw error;
        }
        return answer.result;
      },
      on() {}, removeListener() {},
    };
    const info = { uuid: "0b6f7c1e-3f2d-4a57-9a43-6f8f0c1b2d3e", name: "Sluice test wallet", rdns: "dev.sluice.testwallet",
      icon: "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' width='1' height='1'/%3E" };
    const announce = () => window.dispatchEvent(new CustomEvent("eip6963:announceProvider", { detail: Object.freeze({ info, provider }) }));
    window.addEventListener("eip6963:requestProvider", announce);
    announce();
  });
  if (config.tron) {
    // A TronLink stand-in for the "tronlink" scenario ({tron: {nodeUrl, apiKey, address,
    // privateKey}}):
    // `window.tronLink.tronWeb`, whose work is done here by TRON's own SDK (tools/tron):
    // deserializeTx reads raw_data back, trx.sign checks it (txCheck, owner) and signs, and
    // sendRawTransaction broadcasts to the test's node.
    const require = createRequire(new URL("../tron/package.json", import.meta.url));
    const { TronWeb, utils } = require("tronweb");
    // The wallet's own node connection carries the provider key, as TronLink's does.
    const headers = config.tron.apiKey ? { "TRON-PRO-API-KEY": config.tron.apiKey } : {};
    const tronWeb = new TronWeb({ fullHost: config.tron.nodeUrl, headers });
    await context.exposeFunction("__sluiceTestTron", async (method, args) => {
      if (method === "deserialize") return utils.deserializeTx.deserializeTransaction(args[0], args[1]);
      if (method === "sign") return tronWeb.trx.sign(args[0], config.tron.privateKey);
      if (method === "send") return tronWeb.trx.sendRawTransaction(args[0]);
      throw new Error(`unknown ${method}`);
    });
    await context.addInitScript((address) => {
      const call = (method, ...args) => window.__sluiceTestTron(method, args);
      const tronWeb = {
        defaultAddress: { base58: address },
        utils: { deserializeTx: { deserializeTransaction: (type, hex) => call("deserialize", type, hex) } },
        trx: { sign: (tx) => call("sign", tx), sendRawTransaction: (tx) => call("send", tx) },
      };
      window.tronLink = { ready: true, tronWeb, request: async () => ({ code: 200, message: "ok" }) };
      window.tronWeb = tronWeb;
    }, config.tron.address);
  }
  if (config.solana) {
    // A Solana wallet for the "solana" scenario ({solana: {nodeUrl, seed (hex), address}}),
    // registered through the Wallet Standard as Phantom and Solflare are: it connects with
    // `address`, and its `solana:signAndSendTransaction` checks that it is the fee payer,
    // signs the message bytes with its ed25519 key (Node's crypto) and sends the transaction
    // to the test's node with `sendTransaction`.
    const { createPrivateKey, sign } = await import("node:crypto");
    const pkcs8 = Buffer.concat([Buffer.from("302e020100300506032b657004220420", "hex"), Buffer.from(config.solana.seed, "hex")]);
    const key = createPrivateKey({ key: pkcs8, format: "der", type: "pkcs8" });
    const publicKey = key.export({ format: "jwk" }).x;
    await context.exposeFunction("__sluiceTestSolana", async (bytes, chain) => {
      const tx = Buffer.from(bytes);
      const message = tx.subarray(65);
      if (tx[0] !== 1 || !message.subarray(4, 36).equals(Buffer.from(publicKey, "base64url"))) {
        throw new Error("this wallet is not the transaction's fee payer");
      }
      if (chain !== "solana:localnet") throw new Error(`unexpected chain ${chain}`);
      sign(null, message, key).copy(tx, 1);
      const answer = await fetch(config.solana.nodeUrl, {
        method: "POST", headers: { "content-type": "application/json" },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "sendTransaction", params: [tx.toString("base64"), { encoding: "base64" }] }),
      }).then((r) => r.json());
      if (answer.error) throw new Error(answer.error.message);
      return [...tx.subarray(1, 65)];
    });
    await context.addInitScript((address) => {
      const account = { address, publicKey: new Uint8Array(32), chains: ["solana:localnet"], features: ["solana:signAndSendTransaction"] };
      const signAndSendTransaction = (...inputs) => Promise.all(inputs.map(async ({ transaction, chain }) => {
        const signature = await window.__sluiceTestSolana(Array.from(transaction), chain);
        return { signature: Uint8Array.from(signature) };
      }));
      const wallet = Object.freeze({
        version: "1.0.0", name: "Sluice test Solana wallet", chains: ["solana:localnet"], accounts: [],
        icon: "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' width='1' height='1'/%3E",
        features: {
          "standard:connect": { version: "1.0.0", connect: async () => ({ accounts: [account] }) },
          "solana:signAndSendTransaction": { version: "1.0.0", supportedTransactionVersions: ["legacy", 0], signAndSendTransaction },
        },
      });
      // As @wallet-standard/wallet's registerWallet: announce now, and answer the app's call.
      const callback = ({ register }) => register(wallet);
      const announce = new Event("wallet-standard:register-wallet");
      Object.defineProperty(announce, "detail", { value: callback });
      window.dispatchEvent(announce);
      window.addEventListener("wallet-standard:app-ready", ({ detail }) => callback(detail));
    }, config.solana.address);
  }
  const page = await context.newPage();
  page.on("pageerror", (e) => emit({ event: "pageerror", message: String(e) }));
  page.on("console", (m) => { if (m.type() === "error") emit({ event: "console", text: m.text(), url: m.location().url }); });
  page.on("response", (r) => { if (r.status() >= 400) emit({ event: "http", status: r.status(), url: r.url() }); });
  const status = page.getByRole("status");
  // What the page said last, for the error report of a scenario that times out.
  setInterval(async () => { lastStatus = (await status.textContent().catch(() => lastStatus)) || lastStatus; }, 500);

  async function state(name) {
    await page.evaluate(`${axeSource}\n;0`);
    const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ["violations"] }));
    const serious = result.violations.filter((v) => ["serious", "critical"].includes(v.impact))
      .map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target.join(" ")) }));
    const shots = [];
    for (const width of [360, 1280]) {
      await page.setViewportSize({ width, height: 800 });
      const path = `${config.shots}/${config.name}-${name}-${width}.png`;
      await page.screenshot({ path, fullPage: true });
      shots.push(path);
    }
    await page.setViewportSize({ width: 360, height: 800 });
    const text = (await status.textContent()) || "";
    emit({ event: "state", name, status: text, violations: serious, shots });
  }

  async function until(text, timeout = 60000) {
    await status.filter({ hasText: text }).waitFor({ timeout });
  }

  // What the payer reads first, and whether the page's icon loads (a 404 would be a console
  // error in every browser that asks for it).
  async function describe() {
    await page.locator("#loading").filter({ hasNotText: /\u2026$/ }).or(page.locator("#summary:not([hidden])")).first().waitFor();
    const seen = await page.evaluate(async () => {
      const icon = document.querySelector("link[rel=icon]");
      const iconStatus = icon ? (await fetch(icon.href)).status : null;
      return { heading: document.querySelector("h1").textContent, title: document.title,
        lang: document.documentElement.lang, iconStatus };
    });
    emit({ event: "page", ...seen });
  }

  async function showDeposit() {
    await page.locator("#deposit-address").filter({ hasText: /^(0x|bc1|tb1|bcrt1|T)/ }).waitFor();
    await page.locator("#deposit-qr").evaluate((img) => img.decode());
    const qrSource = await page.locator("#deposit-qr").getAttribute("src");
    return {
      qr: new URL(qrSource, page.url()).searchParams.get("data"),
      address: await page.locator("#deposit-address").textContent(),
      amount: await page.locator("#deposit-amount").textContent(),
      network: await page.locator("#deposit-network").textContent(),
      methodsShown: await page.locator("#methods").isVisible(),
    };
  }

  if (config.expireFirstQuote) {
    // The first prepare is answered as the server answers a quote that expired before the
    // payer signed (409 quote_expired), so the page must quote again by itself.
    let expired = false;
    await page.route("**/prepare", (route) => {
      if (expired) return route.continue();
      expired = true;
      return route.fulfill({ status: 409, contentType: "application/json",
        body: JSON.stringify({ error: "The quote has expired; request a new one.", code: "quote_expired" }) });
    });
  }
  await page.goto(config.url);
  if (config.scenario === "notfound") {
    await page.getByText("Payment not found").waitFor();
    await describe();
    await state("not-found");
  } else if (config.scenario === "expired") {
    await until("Payment expired");
    await describe();
    await state("expired");
  } else if (config.scenario === "wallet") {
    const pay = page.getByRole("button", { name: "Pay with wallet" });
    await pay.waitFor();
    await state("choose");
    await pay.click();
    if (config.rejectFirst) {
      await until("rejected");
      await state("rejected");
      await pay.click();
    }
    await until("Payment sent", 30000).catch(() => {});
    await until("Payment complete");
    await state("complete");
  } else if (config.scenario === "exchange") {
    const pay = page.getByRole("button", { name: "Pay with Coinbase" });
    await pay.waitFor();
    // Coinbase's page is out of reach here: answer it locally and note what was opened.
    let opened = null;
    await context.route("https://pay.coinbase.com/**", (route) => {
      opened = route.request().url();
      return route.fulfill({ contentType: "text/html", body: "<title>Coinbase (test)</title>" });
    });
    const popup = context.waitForEvent("page");
    await pay.click();
    const tab = await popup;
    await tab.waitForLoadState();
    emit({ event: "purchase", url: opened });
    await tab.close();
    await until("Finish your purchase");
    await state("exchange");
    await until("Payment complete");
    await state("complete");
  } else if (config.scenario === "tronlink") {
    const pay = page.getByRole("button", { name: "Pay with TronLink" });
    await pay.waitFor();
    emit({ event: "methods", wallet: await page.locator("#method-wallet").isVisible() });
    await state("choose");
    await pay.click();
    await until("Payment complete");
    await state("complete");
  } else if (config.scenario === "solana") {
    const pay = page.getByRole("button", { name: "Pay with Sluice test Solana wallet" });
    await pay.waitFor();
    emit({ event: "methods", wallet: await page.locator("#method-wallet").isVisible(),
      address: await page.locator("#method-address").isVisible() });
    await state("choose");
    await pay.click();
    await until("Payment complete");
    await state("complete");
  } else if (config.scenario === "deposit") {
    const pay = page.getByRole("button", { name: "Pay to an address" });
    await pay.waitFor();
    // The injected wallet has announced itself by now; whether the page offers it:
    emit({ event: "methods", wallet: await page.locator("#method-wallet").isVisible() });
    await pay.click();
    emit({ event: "deposit", ...(await showDeposit()) });
    await state("deposit");
    await until("Payment complete");
    await state("complete");
  } else if (config.scenario === "reload") {
    // The payer asks for an address, then reloads: the same address and amount come back.
    const pay = page.getByRole("button", { name: "Pay to an address" });
    await pay.waitFor();
    await describe();
    await pay.click();
    emit({ event: "deposit", ...(await showDeposit()) });
    await state("deposit");
    await page.reload();
    emit({ event: "reloaded", ...(await showDeposit()) });
    await state("reloaded");
  } else if (config.scenario === "language") {
    await page.locator("#methods:not([hidden]) button:visible").first().waitFor();
    await describe();
    const buttons = await page.locator("#methods button:visible").allTextContents();
    emit({ event: "methods", buttons });
    await state("choose");
  }
  emit({ event: "done", status: (await status.textContent()) || "", chainSwitches: switched });
} catch (e) {
  failed = true;
  emit({ event: "error", message: String(e && e.stack || e), status: lastStatus });
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
