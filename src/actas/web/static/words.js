// The page's language for its scripts: translated words and the number and time forms of the locale, as
// the server wrote them into the page (<script id="language">); English where the page names none.
"use strict";
const ActasWords = (function () {
  const element = document.getElementById("language");
  const given = (element ? JSON.parse(element.textContent) : null) || {};
  const words = given.words || {};
  const numbers = given.numbers || { decimal: ".", group: ",", percent: "{}%" };
  const tag = given.tag || "en";
  const zone = given.zone || "UTC";
  // A translated message, its {name} placeholders replaced by `values`.
  function _(message, values) {
    let text = Object.prototype.hasOwnProperty.call(words, message) ? words[message] : message;
    for (const [key, value] of Object.entries(values || {})) text = text.split(`{${key}}`).join(String(value));
    return text;
  }
  // A whole number as the locale writes it, the same as the server's (68,939 or 68.939).
  function number(n) {
    const digits = String(Math.abs(Math.trunc(n))).replace(/\B(?=(\d{3})+(?!\d))/g, numbers.group);
    return (n < 0 ? "-" : "") + digits;
  }
  function decimal(value) {
    const [whole, fraction] = Math.abs(value).toFixed(2).split(".");
    return (value < 0 ? "-" : "") + number(Number(whole)) + numbers.decimal + fraction;
  }
  // A share with two decimals (51.23% or 51,23 %), "–" where there is no whole.
  function percent(part, whole) {
    return whole ? numbers.percent.replace("{}", decimal(100 * part / whole)) : "–";
  }
  // A time of day in the election's time zone, the zone named.
  // (22:05 (hora de Venezuela), as the server writes it.)
  function parts(date) {
    const found = new Intl.DateTimeFormat(tag, { hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: zone, timeZoneName: "long" }).formatToParts(date);
    const part = (type) => (found.find((p) => p.type === type) || {}).value || "";
    return { clock: `${part("hour")}:${part("minute")}`, zone: part("timeZoneName") };
  }
  function time(date) {
    const { clock, zone: named } = parts(date);
    return `${clock} (${named})`;
  }
  // The time of day alone (22:05), and the zone's name alone, where a chart names the zone once.
  const clock = (date) => parts(date).clock;
  const zoneName = () => parts(new Date()).zone;
  return { _, number, decimal, percent, time, clock, zoneName, tag, zone, code: given.code || "en" };
})();
