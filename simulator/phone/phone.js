// The simulator's phone page: polls /phone/api/state and keeps one card per handset.
// Everything shown comes from other people's texts: it goes into the page as textContent
// and attributes only, never as markup.
"use strict";

(() => {
  const POLL_MS = 1000;
  const RETRY_MS = 3000;
  const RECEIPT_LABELS = {
    queued: "queued",
    sent: "sent",
    delivered: "delivered",
    failed: "failed",
    refused: "refused",
  };
  const CALLBACK_LABELS = {
    delivered: "reached the callback",
    retrying: "callback failing, retrying",
    failed: "callback failed",
    pending: "posting to the callback",
    none: "not posted to a callback",
  };

  const phonesElement = document.getElementById("phones");
  const template = document.getElementById("phone-template");
  const emptyElement = document.querySelector('[data-testid="empty"]');
  const connection = document.querySelector('[data-testid="connection"]');
  const cards = new Map(); // phone number -> card
  let dids = [];
  let didsKey = "";
  let version = "";
  let timer = null;
  let inFlight = false;
  let again = false;

  // Talking to the simulator

  async function call(method, path, body) {
    const options = { method, cache: "no-store", headers: {} };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    const response = await fetch(path, options);
    let data = null;
    try {
      data = await response.json();
    } catch {
      data = null;
    }
    if (!response.ok) {
      throw new Error(errorText(data) || `HTTP ${response.status}`);
    }
    return data;
  }

  function errorText(data) {
    const error = data && Array.isArray(data.errors) ? data.errors[0] : null;
    if (!error) {
      return "";
    }
    return typeof error.detail === "string" ? error.detail : JSON.stringify(error.detail);
  }

  async function poll() {
    clearTimeout(timer);
    if (inFlight) {
      again = true;
      return;
    }
    inFlight = true;
    let delay = POLL_MS;
    try {
      const state = await fetchState();
      if (state === null) {
        delay = RETRY_MS;
      } else {
        if (state.changed) {
          render(state);
        }
        version = state.version; // only once rendered: a failed render is retried
      }
    } finally {
      inFlight = false;
      if (again) {
        again = false;
        delay = 0;
      }
      timer = setTimeout(poll, delay);
    }
  }

  async function fetchState() {
    try {
      const state = await call("GET", `/phone/api/state?since=${encodeURIComponent(version)}`);
      setConnection("live", "live");
      return state;
    } catch {
      setConnection("offline", "simulator unreachable, retrying…");
      return null;
    }
  }

  function setConnection(state, text) {
    connection.dataset.state = state;
    connection.textContent = text;
  }

  // Rendering

  function render(state) {
    dids = state.dids;
    didsKey = JSON.stringify(state.dids);
    const seen = new Set();
    const order = [];
    for (const phone of state.phones) {
      seen.add(phone.number);
      let card = cards.get(phone.number);
      if (!card) {
        card = createCard(phone);
        cards.set(phone.number, card);
      }
      updateCard(card, phone);
      order.push(card.root);
    }
    for (const [number, card] of cards) {
      if (!seen.has(number)) {
        card.root.remove();
        cards.delete(number);
      }
    }
    placeInOrder(phonesElement, order);
    emptyElement.hidden = state.phones.length > 0;
  }

  function placeInOrder(parent, elements) {
    // Move only what is out of place: emptying a scrolled list would lose its position.
    elements.forEach((node, index) => {
      const current = parent.children[index];
      if (current !== node) {
        parent.insertBefore(node, current || null);
      }
    });
    while (parent.children.length > elements.length) {
      parent.lastElementChild.remove();
    }
  }

  function createCard(phone) {
    const root = template.content.firstElementChild.cloneNode(true);
    root.dataset.phone = phone.number;
    const part = (id) => root.querySelector(`[data-testid="${id}"]`);
    const card = {
      number: phone.number,
      root,
      name: part("phone-name"),
      badges: part("opt-outs"),
      thread: part("thread"),
      picker: part("did-picker"),
      warning: part("callback-warning"),
      input: part("compose-input"),
      picture: part("picture-toggle"),
      send: part("send"),
      error: part("compose-error"),
      items: new Map(), // item id -> {key, element}
      didsKey: "", // the DIDs the picker was filled with
      stick: true, // the thread shows its newest message: keep it there as more arrive
      picked: false, // the person chose a DID: stop following the conversation
    };
    part("phone-number").textContent = phone.display;
    card.thread.addEventListener("scroll", () => {
      const list = card.thread;
      card.stick = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
    });
    card.picker.addEventListener("change", () => {
      card.picked = true;
      updateWarning(card);
    });
    card.picture.addEventListener("change", () => updateWarning(card));
    part("compose").addEventListener("submit", (event) => {
      event.preventDefault();
      sendText(card);
    });
    return card;
  }

  function updateCard(card, phone) {
    // The demo names its handsets (Alex, Sam); a name can come or go while the page is open.
    card.name.textContent = phone.name || "";
    card.name.hidden = !phone.name;
    const badges = phone.opted_out_of.map((did) => {
      const badge = element("span", "badge", `opted out of ${did.display}`);
      badge.dataset.testid = "opt-out-badge";
      badge.dataset.did = did.number;
      return badge;
    });
    card.badges.replaceChildren(...badges);
    if (card.didsKey !== didsKey) {
      fillPicker(card);
      card.didsKey = didsKey;
    }
    if (!card.picked && phone.last_did && hasOption(card.picker, phone.last_did)) {
      card.picker.value = phone.last_did;
    }
    updateWarning(card);
    updateThread(card, phone.thread);
  }

  function fillPicker(card) {
    const chosen = card.picker.value;
    const options = dids.map((did) => {
      const option = document.createElement("option");
      option.value = did.number;
      option.textContent = did.messaging_enabled
        ? did.display
        : `${did.display} (messaging disabled)`;
      option.disabled = !did.messaging_enabled;
      return option;
    });
    card.picker.replaceChildren(...options);
    if (chosen && hasOption(card.picker, chosen)) {
      card.picker.value = chosen;
    } else {
      const first = options.find((option) => !option.disabled);
      card.picker.value = first ? first.value : "";
    }
    card.send.disabled = !canSend(card);
  }

  function canSend(card) {
    return Array.from(card.picker.options).some((option) => !option.disabled);
  }

  function hasOption(select, value) {
    return Array.from(select.options).some((option) => option.value === value && !option.disabled);
  }

  function updateWarning(card) {
    const did = dids.find((item) => item.number === card.picker.value);
    const mms = card.picture.checked;
    const missing = did && !(mms ? did.mms_callback : did.sms_callback);
    card.warning.hidden = !missing;
    card.warning.textContent = missing
      ? `${did.display} has no ${mms ? "MMS" : "SMS"} callback: nobody will hear this text.`
      : "";
  }

  function updateThread(card, thread) {
    const list = card.thread;
    const seen = new Set();
    const order = [];
    for (const item of thread) {
      seen.add(item.id);
      const key = JSON.stringify(item);
      let known = card.items.get(item.id);
      if (!known || known.key !== key) {
        const fresh = { key, element: messageElement(item, () => keepAtBottom(card)) };
        if (known) {
          known.element.replaceWith(fresh.element);
        }
        known = fresh;
        card.items.set(item.id, known);
      }
      order.push(known.element);
    }
    for (const [id, known] of card.items) {
      if (!seen.has(id)) {
        known.element.remove();
        card.items.delete(id);
      }
    }
    placeInOrder(list, order);
    keepAtBottom(card);
  }

  function keepAtBottom(card) {
    if (card.stick) {
      card.thread.scrollTop = card.thread.scrollHeight;
    }
  }

  function messageElement(item, onResize) {
    const li = element("li", `message ${item.direction} ${item.kind}`);
    li.dataset.testid = "message";
    li.dataset.direction = item.direction;
    li.dataset.kind = item.kind;
    li.dataset.messageId = item.id;
    const bubble = element("div", "bubble");
    for (const media of item.media) {
      bubble.append(mediaElement(media, onResize));
    }
    if (item.body) {
      const body = element("p", "body", item.body);
      body.dataset.testid = "message-body";
      bubble.append(body);
    }
    li.append(bubble);

    const meta = element("div", "meta");
    const did = element(
      "span",
      "did",
      item.direction === "out" ? `from ${item.did_display}` : `to ${item.did_display}`,
    );
    did.dataset.testid = "message-did";
    const time = element("time", "time", formatTime(item.timestamp));
    time.dateTime = item.timestamp;
    meta.append(did, time);
    if (item.receipt) {
      meta.append(receiptElement(item.receipt));
    }
    if (item.callback) {
      meta.append(callbackElement(item.callback));
    }
    li.append(meta);
    return li;
  }

  function mediaElement(media, onResize) {
    const url = safeUrl(media.url);
    if (media.image && url) {
      const img = document.createElement("img");
      img.src = url;
      img.alt = media.file_name;
      img.addEventListener("load", onResize); // a picture makes the thread taller
      img.dataset.testid = "media";
      return img;
    }
    const link = element("a", "attachment", `${media.file_name} (${media.mime_type})`);
    if (url) {
      link.href = url;
      link.target = "_blank";
      link.rel = "noopener noreferrer";
    }
    link.dataset.testid = "media";
    return link;
  }

  function receiptElement(receipt) {
    const hasCode = receipt.status_code !== null && receipt.status_code !== undefined;
    const parts = [RECEIPT_LABELS[receipt.state] || receipt.state];
    if (hasCode) {
      parts.push(String(receipt.status_code));
    }
    if (receipt.description && receipt.state !== "delivered") {
      parts.push(receipt.description);
    }
    const text = parts.join(" · ");
    const span = element("span", `receipt ${receipt.state}`, text);
    span.dataset.testid = "receipt";
    span.dataset.state = receipt.state;
    if (hasCode) {
      span.dataset.code = String(receipt.status_code);
    }
    const history = receipt.receipts.map(
      (r) => `level ${r.level}: ${r.status}${r.status_code ? ` (${r.status_code})` : ""}`,
    );
    if (receipt.detail) {
      history.push(receipt.detail);
    }
    span.title = history.join("\n");
    return span;
  }

  function callbackElement(callback) {
    let text = CALLBACK_LABELS[callback.state] || callback.state;
    if (callback.state !== "delivered" && callback.status) {
      text += ` (HTTP ${callback.status})`;
    } else if (callback.state !== "delivered" && callback.error) {
      text += ` (${callback.error})`;
    }
    const span = element("span", `callback ${callback.state}`, text);
    span.dataset.testid = "callback";
    span.dataset.state = callback.state;
    span.title = `${callback.attempts} post${callback.attempts === 1 ? "" : "s"}`;
    return span;
  }

  // Sending

  async function sendText(card) {
    const body = card.input.value;
    const picture = card.picture.checked;
    if (!body.trim() && !picture) {
      card.error.textContent = "Type a message or attach a picture.";
      return;
    }
    if (!card.picker.value) {
      card.error.textContent = "Pick one of your numbers to text.";
      return;
    }
    card.send.disabled = true;
    try {
      await call("POST", "/phone/api/messages", {
        from: card.number,
        to: card.picker.value,
        body: body || null,
        picture,
      });
      card.input.value = "";
      card.picture.checked = false;
      card.error.textContent = "";
      card.stick = true; // show the text just sent
      poll();
    } catch (error) {
      card.error.textContent = error.message;
    } finally {
      card.send.disabled = !canSend(card);
      card.input.focus();
      updateWarning(card);
    }
  }

  function setUpAddPhone() {
    const form = document.querySelector('[data-testid="add-phone-form"]');
    const input = document.querySelector('[data-testid="add-phone-input"]');
    const error = document.querySelector('[data-testid="add-phone-error"]');
    const button = document.querySelector('[data-testid="add-phone"]');
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (!input.value.trim()) {
        error.textContent = "Type a phone number.";
        return;
      }
      button.disabled = true;
      try {
        await call("POST", "/phone/api/phones", { number: input.value });
        input.value = "";
        error.textContent = "";
        poll();
      } catch (failure) {
        error.textContent = failure.message;
      } finally {
        button.disabled = false;
      }
    });
  }

  // Small helpers

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    if (text !== undefined) {
      node.textContent = text;
    }
    return node;
  }

  function safeUrl(url) {
    // Only the simulator's own paths and web addresses: never javascript: or data: URLs.
    if (typeof url !== "string") {
      return null;
    }
    if (url.startsWith("/") && !url.startsWith("//")) {
      return url;
    }
    return /^https?:\/\//i.test(url) ? url : null;
  }

  function formatTime(timestamp) {
    const moment = new Date(timestamp);
    if (Number.isNaN(moment.getTime())) {
      return "";
    }
    return moment.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });
  }

  setUpAddPhone();
  poll();
})();
