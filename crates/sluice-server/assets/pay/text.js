// The payment page's words: the one table of texts (strings.json, which the server writes in
// below), the language to use, and the names the server knows that no payer route answers
// (the merchant's display name and the networks', from data- attributes of the hosted page's
// <main>). Served as the first part of /pay/pay.js, inside the same closure (pay_page.rs).
"use strict";
const pageText = (() => {
  const STRINGS = /* strings.json */ {};
  const main = document.getElementById("checkout");
  const data = (main && main.dataset) || {};
  let networks = {};
  try { networks = JSON.parse(data.networks || "{}"); } catch (_) { /* no names: chain IDs */ }

  // `lang` in the link wins, then the browser's languages (its Accept-Language), then English.
  const lang = (() => {
    const asked = [new URLSearchParams(location.search).get("lang"), ...(navigator.languages || [navigator.language])];
    for (const tag of asked) {
      const base = tag && tag.toLowerCase().split("-")[0];
      if (base && Object.hasOwn(STRINGS, base)) return base;
    }
    return "en";
  })();

  function t(key, values = {}) {
    const text = (STRINGS[lang] && STRINGS[lang][key]) || (STRINGS.en && STRINGS.en[key]) || key;
    return text.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? String(values[name]) : whole));
  }

  // The HTML carries English only where it must work without this script (the title, the
  // heading, the loading line, the "not found" page); everything else is filled in here.
  function translatePage() {
    document.documentElement.lang = lang;
    document.querySelectorAll("[data-i18n]").forEach((el) => { el.textContent = t(el.dataset.i18n); });
    document.querySelectorAll("[data-i18n-alt]").forEach((el) => { el.alt = t(el.dataset.i18nAlt); });
    document.querySelectorAll("[data-i18n-label]").forEach((el) => el.setAttribute("aria-label", t(el.dataset.i18nLabel)));
    const merchant = data.merchant;
    document.title = merchant ? t("titleMerchant", { merchant }) : t("title");
    document.getElementById("title").textContent = merchant ? t("headingMerchant", { merchant }) : t("heading");
    document.getElementById("loading").textContent = t("loading");
  }

  // Keyed as the server keys chains (ChainConfig::key): the chain ID on EVM chains,
  // "<name>:<id>" on the others (Bitcoin's "1" is not Ethereum's).
  const EVM_FAMILY = ["EVM", "ETH", "TEMPO"];
  function networkName(chainName, chainId) {
    const key = EVM_FAMILY.includes(chainName) ? chainId : `${chainName}:${chainId}`;
    if (Object.hasOwn(networks, key)) return networks[key];
    return chainName === "BTC" ? t("bitcoin") : t("chain", { id: chainId });
  }

  return { lang, t, translatePage, networkName };
})();
