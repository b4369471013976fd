// Sluice's hosted checkout. It uses only the public payer routes (P1–P8), keeps the session
// token in this closure (never in the URL, storage or logs), and can run on a merchant's own
// page: the API root is taken from this script's own address. Its words come from text.js
// (`pageText`), which the server serves in front of this file.
"use strict";
(() => {
  const { t, translatePage, networkName } = pageText;
  const script = document.currentScript;
  const root = new URL(script.src).href.replace(/\/pay\/pay\.js(\?.*)?$/, "");
  const api = `${root}/api/v0`;
  const $ = (id) => document.getElementById(id);
  const NATIVE = "0x0000000000000000000000000000000000000000";
  const FINAL = { failed: "failed", expired: "expired", cancelled: "cancelled" };
  const CHOOSING = ["initiated", "source_attached", "quoted", "signing"];

  let flowPath = null;
  let session = null; // the live session token, in memory only
  let flow = null;
  let busy = false;
  const wallets = [];

  function say(text) { $("status").textContent = text; }

  function readLink() {
    const param = new URLSearchParams(location.search).get("flow");
    if (!param) return null;
    try {
      const json = atob(param.replace(/-/g, "+").replace(/_/g, "/"));
      const { environmentId, flowId } = JSON.parse(json);
      if (!/^[0-9a-f-]{36}$/.test(environmentId) || !/^[0-9a-f-]{36}$/.test(flowId)) return null;
      return `${api}/sdk/${environmentId}/flow/${flowId}`;
    } catch (_) {
      return null;
    }
  }

  async function call(method, suffix, body) {
    const headers = { "content-type": "application/json" };
    if (session) headers["x-dynamic-flow-session-token"] = session;
    const answer = await fetch(flowPath + suffix, {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "omit", referrerPolicy: "no-referrer",
    });
    const json = await answer.json().catch(() => ({}));
    if (!answer.ok) {
      const error = new Error(json.error || t("serverAnswered", { status: answer.status }));
      error.code = json.code;
      throw error;
    }
    return json;
  }

  function units(value, decimals) {
    const digits = BigInt(value).toString().padStart(decimals + 1, "0");
    const whole = digits.slice(0, digits.length - decimals);
    const fraction = digits.slice(digits.length - decimals).replace(/0+$/, "");
    return fraction ? `${whole}.${fraction}` : whole;
  }

  // The settlement an EVM wallet or an exchange purchase pays: the first on an EVM-family chain
  // (a Bitcoin chain ID may be "1" too, so the chain name decides), if any.
  const EVM_CHAINS = ["EVM", "ETH", "TEMPO"];
  function settlement() {
    const all = (flow.settlementConfig && flow.settlementConfig.settlements) || [];
    return all.find((s) => EVM_CHAINS.includes(s.chainName));
  }

  // --- state shown on the page ------------------------------------------------------------

  function showState() {
    const state = flow.executionState;
    if (flow.settlementState === "completed") {
      say(t("complete"));
      finish();
    } else if (FINAL[state]) {
      const reason = flow.failure ? ` ${flow.failure.message}` : "";
      say(`${t(FINAL[state])}${reason}`);
      finish();
    } else if (state === "source_detected") {
      say(t("detected"));
    } else if (state === "broadcasted") {
      say(t("sent"));
    }
  }

  function finish() {
    $("methods").hidden = true;
    $("expiry").hidden = true;
    const back = flow.uiConfig && flow.uiConfig.returnUrl;
    if (back && /^https?:\/\//.test(back)) {
      $("return-link").href = back;
      $("return").hidden = false;
      if (flow.settlementState === "completed") setTimeout(() => location.assign(back), 4000);
    }
    stopWatching();
  }

  let watcher = null;
  function watch() {
    if (watcher) return;
    watcher = setInterval(async () => {
      try {
        flow = await call("GET", "");
        showState();
      } catch (_) { /* a missed poll is retried on the next tick */ }
    }, 2000);
  }
  function stopWatching() { if (watcher) clearInterval(watcher); watcher = null; }

  function countdown() {
    const left = Math.max(0, Math.floor((Date.parse(flow.expiresAt) - Date.now()) / 1000));
    $("countdown").textContent = t("countdown", { minutes: Math.floor(left / 60), seconds: String(left % 60).padStart(2, "0") });
    $("countdown").dateTime = `PT${left}S`;
    if (left === 0 && CHOOSING.includes(flow.executionState)) {
      flow.executionState = "expired";
      showState();
    }
  }

  // --- ways to pay ------------------------------------------------------------------------

  // Everything shown comes from the flow itself, so a reloaded page shows the same address.
  function showDeposit() {
    const amount = flow.quote.toAmount;
    const address = flow.depositAddress;
    const token = flow.quote.fromTokenInfo || flow.quote.toTokenInfo;
    const chainId = flow.fromChainId || flow.toChainId;
    const chainName = flow.fromChainName || flow.toChainName;
    const tokenAddress = flow.fromToken || flow.toToken;
    $("deposit-amount").textContent = `${units(amount, token.decimals)} ${token.symbol}`;
    $("deposit-network").textContent = t("depositNetwork", { token: token.symbol, network: networkName(chainName, chainId) });
    $("deposit-address").textContent = address;
    // BIP-21 for Bitcoin (amount in BTC), EIP-681 for EVM chains (amounts in base units), the
    // bare address on TRON.
    let uri;
    if (chainName === "BTC") uri = `bitcoin:${address}?amount=${units(amount, token.decimals)}`;
    else if (chainName === "TRON") uri = address; // TRON has no payment URI; wallets scan the address
    else if (tokenAddress.toLowerCase() === NATIVE) uri = `ethereum:${address}@${chainId}?value=${amount}`;
    else uri = `ethereum:${tokenAddress}@${chainId}/transfer?address=${address}&uint256=${amount}`;
    $("deposit-qr").src = `${root}/pay/qr.svg?data=${encodeURIComponent(uri)}`;
    $("methods").hidden = true;
    $("deposit").hidden = false;
    say(t("waiting"));
    watch();
  }

  async function payToAddress() {
    const options = (await call("GET", "/sourceTokenOptions?sourceType=deposit_address")).sourceTokenOptions;
    const chain = options[0];
    const token = chain.tokens[0];
    const attached = await call("POST", "/source", { sourceType: "deposit_address", fromChainId: chain.chainId, fromChainName: chain.chainName });
    session = attached.sessionToken;
    flow = await call("POST", "/quote", { fromChainId: chain.chainId, fromTokenAddress: token.address });
    showDeposit();
  }

  async function payWithWallet() {
    const provider = wallets[0];
    const target = settlement();
    const [from] = await provider.request({ method: "eth_requestAccounts" });
    // Always ask: a wallet already on the chain answers at once.
    const chainHex = `0x${BigInt(target.chainId).toString(16)}`;
    await provider.request({ method: "wallet_switchEthereumChain", params: [{ chainId: chainHex }] });
    const attached = await call("POST", "/source", { sourceType: "wallet", fromAddress: from, fromChainId: target.chainId, fromChainName: target.chainName });
    session = attached.sessionToken;
    const choice = { fromChainId: target.chainId, fromTokenAddress: target.tokenAddress };
    say(t("preparing"));
    let prepared;
    for (let attempt = 0; ; attempt++) {
      flow = await call("POST", "/quote", choice);
      try {
        prepared = await call("POST", "/prepare", { assertBalanceForGasCost: true, assertBalanceForTransferAmount: true });
        break;
      } catch (e) {
        if (e.code !== "quote_expired" || attempt > 2) throw e; // an expired quote is renewed
      }
    }
    const payload = prepared.quote.signingPayload;
    const send = (tx) => {
      const request = { from, to: tx.to, value: tx.value || "0x0", data: tx.data };
      if (tx.gasLimit) request.gas = tx.gasLimit;
      return provider.request({ method: "eth_sendTransaction", params: [request] });
    };
    if (payload.evmApproval) {
      say(t("approve")); // a payload that needs an allowance
      await send(payload.evmApproval);
    }
    say(t("confirm"));
    const hash = await send(payload.evmTransaction);
    flow = await call("POST", "/broadcast", { txHash: hash });
    $("methods").hidden = true;
    showState();
    watch();
  }

  // TRON wallets (TronLink and those that copy its API) inject `window.tronLink`, whose
  // `tronWeb` signs and broadcasts. The page reads the JSON raw_data back from Sluice's
  // rawDataHex (TronLink shows and checks it), lets the wallet sign the txID and send it.
  const TRX = "T9yD14Nj9j7xAB4dbGeiX9h8unkKHxuWwb";
  function tronSettlement() {
    const all = (flow.settlementConfig && flow.settlementConfig.settlements) || [];
    return all.find((s) => s.chainName === "TRON");
  }
  function tronWallet() {
    return (window.tronLink && window.tronLink.tronWeb) || window.tronWeb;
  }
  async function sha256Hex(hex) {
    const bytes = new Uint8Array(hex.match(/../g).map((b) => parseInt(b, 16)));
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
    return [...digest].map((b) => b.toString(16).padStart(2, "0")).join("");
  }
  async function payWithTronLink() {
    const target = tronSettlement();
    if (window.tronLink && window.tronLink.request) await window.tronLink.request({ method: "tron_requestAccounts" });
    const tronWeb = tronWallet();
    const from = tronWeb.defaultAddress.base58;
    const attached = await call("POST", "/source", { sourceType: "wallet", fromAddress: from, fromChainId: target.chainId, fromChainName: "TRON" });
    session = attached.sessionToken;
    say(t("preparing"));
    flow = await call("POST", "/quote", { fromChainId: target.chainId, fromTokenAddress: target.tokenAddress });
    const prepared = await call("POST", "/prepare", { assertBalanceForGasCost: true, assertBalanceForTransferAmount: true });
    const payload = prepared.quote.signingPayload.tronTransaction;
    const type = target.tokenAddress === TRX ? "TransferContract" : "TriggerSmartContract";
    const rawData = await tronWeb.utils.deserializeTx.deserializeTransaction(type, payload.rawDataHex);
    const txID = await sha256Hex(payload.rawDataHex);
    say(t("confirm"));
    const signed = await tronWeb.trx.sign({ txID, raw_data: rawData, raw_data_hex: payload.rawDataHex, visible: false });
    const sent = await tronWeb.trx.sendRawTransaction(signed);
    if (!sent.result) throw new Error(sent.code || "the network refused the transaction");
    flow = await call("POST", "/broadcast", { txHash: txID });
    $("methods").hidden = true;
    showState();
    watch();
  }

  function solanaSettlement() {
    const all = (flow.settlementConfig && flow.settlementConfig.settlements) || [];
    return all.find((s) => s.chainName === "SOL");
  }
  function offerSolana() {
    const wallet = solanaWallets.found[0];
    if (!wallet) return;
    $("pay-solana").textContent = t("paySolana", { name: wallet.name });
    $("method-solana").hidden = false;
    $("no-methods").hidden = true;
  }
  async function payWithSolana() {
    const target = solanaSettlement();
    const wallet = solanaWallets.found[0];
    const account = await solanaWallets.connect(wallet);
    const source = { sourceType: "wallet", fromAddress: account.address, fromChainId: target.chainId, fromChainName: "SOL" };
    session = (await call("POST", "/source", source)).sessionToken;
    say(t("preparing"));
    flow = await call("POST", "/quote", { fromChainId: target.chainId, fromTokenAddress: target.tokenAddress });
    const prepared = await call("POST", "/prepare", { assertBalanceForGasCost: true, assertBalanceForTransferAmount: true });
    say(t("confirm"));
    const serialized = prepared.quote.signingPayload.serializedTransaction;
    const signature = await solanaWallets.signAndSend(wallet, account, serialized, target.chainId);
    flow = await call("POST", "/broadcast", { txHash: signature });
    $("methods").hidden = true;
    showState();
    watch();
  }

  async function payWithExchange() {
    const target = settlement();
    const attached = await call("POST", "/source", { sourceType: "exchange", exchangeProvider: "coinbase" });
    session = attached.sessionToken;
    flow = await call("POST", "/quote", { fromChainId: target.chainId, fromTokenAddress: target.tokenAddress });
    const url = flow.exchangeSource && flow.exchangeSource.metadata && flow.exchangeSource.metadata.url;
    window.open(url, "_blank", "noopener");
    $("methods").hidden = true;
    say(t("finishExchange"));
    try {
      flow = await call("POST", "/broadcast", {}); // tells Sluice the payer went to buy
    } catch (e) {
      if (e.code !== "flow_invalid_transition") throw e; // the funds already arrived
    }
    watch();
  }

  function explain(e) {
    if (e && (e.code === 4001 || e.code === "ACTION_REJECTED")) return t("rejected");
    return t("error", { message: (e && e.message) || e });
  }

  function bind(id, action) {
    $(id).addEventListener("click", async () => {
      if (busy) return;
      busy = true;
      document.querySelectorAll("#methods button").forEach((b) => { b.disabled = true; });
      try {
        await action();
      } catch (e) {
        say(explain(e));
      } finally {
        busy = false;
        document.querySelectorAll("#methods button").forEach((b) => { b.disabled = false; });
      }
    });
  }

  function discoverWallets() {
    // An EVM wallet pays only a flow that settles on an EVM chain.
    if (!settlement()) return;
    window.addEventListener("eip6963:announceProvider", (event) => {
      const provider = event.detail && event.detail.provider;
      if (provider && !wallets.includes(provider)) wallets.push(provider);
      $("method-wallet").hidden = false;
      $("no-methods").hidden = true;
    });
    window.dispatchEvent(new Event("eip6963:requestProvider"));
    if (!wallets.length && window.ethereum) wallets.push(window.ethereum);
    if (wallets.length) $("method-wallet").hidden = false;
  }

  async function showMethods() {
    $("methods").hidden = false;
    discoverWallets();
    if (tronSettlement() && tronWallet()) $("method-tronlink").hidden = false;
    if (solanaSettlement()) solanaWallets.discover(offerSolana);
    const [options, exchanges] = await Promise.all([
      call("GET", "/sourceTokenOptions?sourceType=deposit_address").catch(() => ({ sourceTokenOptions: [] })),
      call("GET", "/exchanges").catch(() => ({ exchanges: [] })),
    ]);
    $("method-address").hidden = !options.sourceTokenOptions.length;
    $("method-exchange").hidden = !exchanges.exchanges.some((x) => x.key === "coinbase");
    const none = [...document.querySelectorAll(".methods li")].every((li) => li.hidden);
    $("no-methods").hidden = !none;
  }

  async function start() {
    translatePage();
    flowPath = readLink();
    if (!flowPath) {
      $("loading").textContent = t("linkInvalid");
      return;
    }
    try {
      flow = await call("GET", "");
    } catch (e) {
      $("loading").textContent = e.code === "flow_not_found" ? t("notFound") : explain(e);
      return;
    }
    $("loading").hidden = true;
    $("amount").textContent = `${flow.amount} ${flow.currency}`;
    $("reference").textContent = flow.id;
    $("summary").hidden = false;
    countdown();
    setInterval(countdown, 1000);
    // A payer who reloads after asking for an address sees it again, not the choice.
    const waitingForDeposit = flow.sourceType === "deposit_address" && flow.depositAddress && flow.quote;
    if (CHOOSING.includes(flow.executionState) && waitingForDeposit) showDeposit();
    else if (CHOOSING.includes(flow.executionState)) await showMethods();
    showState();
    if (flow.executionState === "broadcasted" || flow.executionState === "source_detected") watch();
  }

  bind("pay-wallet", payWithWallet);
  bind("pay-tronlink", payWithTronLink);
  bind("pay-solana", payWithSolana);
  bind("pay-address", payToAddress);
  bind("pay-exchange", payWithExchange);
  $("copy-address").addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText($("deposit-address").textContent);
      say(t("copied"));
    } catch (_) {
      say(t("copyByHand"));
    }
  });
  start();
})();
