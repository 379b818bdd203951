// The one script of dvor's pages. Every page works without it; with it:
// - the service worker keeps the last pages for offline reading;
// - a page's live sections follow their channels (Server-Sent Events, or polling where a
//   browser has no EventSource) and show each update without a reload;
// - a scan field gets a camera button where the browser can read QR codes and barcodes.
if ("serviceWorker" in navigator) {
  navigator.serviceWorker.register("/sw.js").catch(() => {});
}

(function followLiveSections() {
  const sections = Array.from(document.querySelectorAll("[data-live][data-live-src]"));
  if (sections.length === 0) return;
  const bySource = new Map();
  for (const el of sections) {
    const src = el.getAttribute("data-live-src");
    if (!bySource.has(src)) bySource.set(src, []);
    bySource.get(src).push(el);
  }
  const lang = document.documentElement.lang === "en" ? "en" : "ru";
  for (const [src, els] of bySource) {
    const seen = new Set();
    let last = 0;
    const apply = (update) => {
      if (seen.has(update.id)) return;
      seen.add(update.id);
      if (update.id > last) last = update.id;
      for (const el of els) {
        if (el.getAttribute("data-live") !== update.channel) continue;
        // The host drew the update's blocks from the plugin's typed tree, escaped.
        if (update.mode === "replace") {
          el.innerHTML = update.html;
        } else {
          el.insertAdjacentHTML("beforeend", update.html);
        }
        el.dispatchEvent(new CustomEvent("dvor:live", { detail: update, bubbles: true }));
      }
    };
    const params = new URLSearchParams();
    for (const el of els) params.append("channel", el.getAttribute("data-live"));
    params.set("lang", lang);
    const poll = () => {
      const q = new URLSearchParams(params);
      q.set("poll", "1");
      q.set("after", String(last));
      fetch(src + "?" + q.toString(), { credentials: "same-origin" })
        .then((r) => (r.ok ? r.json() : { updates: [] }))
        .then((body) => body.updates.forEach(apply))
        .catch(() => {})
        .finally(() => setTimeout(poll, 3000));
    };
    if (!("EventSource" in window)) {
      poll();
      continue;
    }
    // EventSource resumes by itself after a dropped connection, sending the last id it saw.
    const source = new EventSource(src + "?" + params.toString());
    source.addEventListener("update", (e) => {
      try {
        apply(JSON.parse(e.data));
      } catch (_) {}
    });
    document.documentElement.setAttribute("data-live-ready", "1");
  }
})();

(function scanFields() {
  if (!("BarcodeDetector" in window) || !navigator.mediaDevices) return;
  for (const input of document.querySelectorAll("input[data-scan]")) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "btn scan";
    button.textContent = document.documentElement.lang === "en" ? "Scan with the camera" : "Сканировать камерой";
    input.insertAdjacentElement("afterend", button);
    button.addEventListener("click", async () => {
      let stream;
      try {
        const detector = new window.BarcodeDetector();
        stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
        const video = document.createElement("video");
        video.className = "scan-video";
        video.setAttribute("playsinline", "");
        video.muted = true;
        video.srcObject = stream;
        button.insertAdjacentElement("afterend", video);
        await video.play();
        for (let i = 0; i < 300; i++) {
          const codes = await detector.detect(video);
          if (codes.length > 0) {
            input.value = codes[0].rawValue;
            input.dispatchEvent(new Event("input", { bubbles: true }));
            break;
          }
          await new Promise((r) => setTimeout(r, 100));
        }
        video.remove();
      } catch (_) {
        // No camera or no permission: the code is typed by hand.
      } finally {
        if (stream) stream.getTracks().forEach((t) => t.stop());
        input.focus();
      }
    });
  }
})();

(function resendCountdown() {
  // The sign-in code page: «Получить новый код» waits until the server will send another.
  const line = document.querySelector("[data-resend-in]");
  if (!line) return;
  const button = document.querySelector('form[action*="action=send_code"] button');
  const shown = line.querySelector(".resend-s");
  let left = Number(line.getAttribute("data-resend-in")) || 0;
  if (button) button.disabled = left > 0;
  const tick = () => {
    if (left <= 0) {
      line.hidden = true;
      if (button) button.disabled = false;
      return;
    }
    if (shown) shown.textContent = String(left);
    left -= 1;
    setTimeout(tick, 1000);
  };
  tick();
})();
