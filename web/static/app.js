/*
 * app.js: what htmx does not do on its own. Live updates from the event
 * stream, the collision warning (who else is viewing or replying), keyboard
 * shortcuts and the help dialog, and for approved wording the character
 * counters ("n / limit", red over the channel's limit), the list of
 * variables still to fill in the reply box, and clearing the reply's
 * template when the box is emptied. Every page works without it; this only
 * makes the inbox live and quicker to use.
 */
(function () {
	"use strict";
	var body = document.body;
	if (!body || !body.dataset.user) return;
	var me = body.dataset.user;
	var csrf = (JSON.parse(body.getAttribute("hx-headers") || "{}"))["X-CSRF-Token"] || "";

	function $(sel, root) { return (root || document).querySelector(sel); }
	function $all(sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); }
	function conversationId() { var c = $("#conversation[data-id]"); return c ? c.dataset.id : null; }

	/* Refresh an element from the URL in its data-src, at most every 150 ms. */
	var pending = {};
	function refresh(id) {
		if (pending[id]) return;
		pending[id] = setTimeout(function () {
			pending[id] = null;
			var el = document.getElementById(id);
			if (el && el.dataset.src && window.htmx)
				htmx.ajax("GET", el.dataset.src, { target: "#" + id, swap: "outerHTML" });
		}, 150);
	}

	/* Live: the event stream tells which conversation changed. */
	var presence = {};
	function showPresence() {
		var box = $("#presence");
		if (!box) return;
		var now = Date.now(), lines = [];
		Object.keys(presence).forEach(function (k) {
			var p = presence[k];
			if (p.until < now || p.conversation !== conversationId()) { delete presence[k]; return; }
			lines.push(p.state === "replying" ? box.dataset.replying.replace("%s", p.name)
				: box.dataset.viewing.replace("%s", p.name));
		});
		box.textContent = lines.join(" · ");
	}
	setInterval(showPresence, 5000);

	function onEvent(type, data) {
		var id = String(data.conversation_id || "");
		if (type === "conversation.presence") {
			if (String(data.user_id) === me) return;
			var known = presence[data.user_id];
			if (data.state === "left") delete presence[data.user_id];
			else presence[data.user_id] = { name: data.name, state: data.state, conversation: id, until: Date.now() + 25000 };
			showPresence();
			/* Someone new in this conversation: tell them at once that we are here. */
			if (!known && data.state !== "left" && id === conversationId()) { lastState = null; sendPresence(currentState()); }
			return;
		}
		refresh("list");
		if (id && id === conversationId()) {
			refresh("messages");
			if (type === "conversation.updated") refresh("conv-meta");
		}
	}
	if (window.EventSource && $("#list, #conversation")) {
		var stream = new EventSource("/api/v1/events");
		["message.received", "message.created", "conversation.updated", "conversation.presence",
			"message.updated"].forEach(function (t) {
			stream.addEventListener(t, function (e) {
				try { onEvent(t, JSON.parse(e.data)); } catch (err) { /* ignore a bad event */ }
			});
		});
		/* Announce ourselves once the stream listens (also after a reconnect),
		 * so that the answers of those already here reach us. */
		stream.addEventListener("open", function () { lastState = null; sendPresence(currentState()); });
	}

	/* Presence: tell the others while this conversation is open. */
	var lastState = null, lastSent = 0;
	function sendPresence(state) {
		var id = conversationId();
		if (!id) return;
		var now = Date.now();
		if (state === lastState && now - lastSent < 10000) return;
		lastState = state; lastSent = now;
		var form = new FormData();
		form.append("state", state);
		fetch("/inbox/c/" + id + "/presence", { method: "POST", body: new URLSearchParams(form),
			headers: { "X-CSRF-Token": csrf }, credentials: "same-origin" }).catch(function () {});
	}
	function currentState() {
		var t = $("#composer-text");
		return t && document.activeElement === t && t.value ? "replying" : "viewing";
	}
	setInterval(function () { sendPresence(currentState()); }, 10000);
	document.addEventListener("input", function (e) {
		if (e.target && e.target.id === "composer-text") sendPresence("replying");
	});
	var shownId;
	function conversationShown() {
		var inbox = $(".inbox");
		if (inbox) inbox.classList.toggle("has-conversation", !!conversationId());
		$all(".conv").forEach(function (a) {
			a.setAttribute("aria-current", a.dataset.id === conversationId() ? "true" : "false");
		});
		/* A refreshed list or thread is no new conversation: keep who is here. */
		if (shownId === conversationId()) return;
		shownId = conversationId();
		lastState = null;
		presence = {};
		showPresence();
		/* Before the stream is open the answers would be lost: its "open" announces. */
		if (!stream || stream.readyState === 1) sendPresence("viewing");
	}
	document.addEventListener("htmx:afterSettle", conversationShown);
	conversationShown();

	/* Keyboard shortcuts. */
	function move(step) {
		var items = $all(".conv");
		if (!items.length) return;
		var at = items.findIndex(function (a) { return a.getAttribute("aria-current") === "true"; });
		var next = items[Math.max(0, Math.min(items.length - 1, at < 0 ? 0 : at + step))];
		next.focus();
		next.click();
	}
	function composer(mode) {
		var t = $("#composer-text");
		if (!t) return;
		t.closest("form").dataset.mode = mode;
		var label = $("#composer-mode");
		if (label) label.textContent = label.dataset[mode] || "";
		t.focus();
	}
	function clickIn(sel) { var b = $(sel); if (b) b.click(); }
	var keys = {
		j: function () { move(1); },
		k: function () { move(-1); },
		r: function () { composer("reply"); },
		n: function () { composer("note"); },
		e: function () { clickIn("#resolve-button"); },
		a: function () { var s = $("#assignee"); if (s) s.focus(); },
		"/": function () { var q = $("#q"); if (q) q.focus(); else location.href = "/search"; },
		"?": function () { var d = $("#help"); if (d && d.showModal) d.showModal(); }
	};
	document.addEventListener("keydown", function (e) {
		var t = e.target, typing = t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName));
		if (typing) {
			if (e.key === "Escape") t.blur();
			if (t.id === "composer-text" && e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
				e.preventDefault();
				var f = t.closest("form");
				clickIn(f.dataset.mode === "note" ? "#note-button" : "#reply-button");
			}
			return;
		}
		if (e.ctrlKey || e.metaKey || e.altKey || !keys[e.key]) return;
		e.preventDefault();
		keys[e.key]();
	});
	$all("[data-help]").forEach(function (b) {
		b.addEventListener("click", function () { var d = $("#help"); if (d && d.showModal) d.showModal(); });
	});
	/* The filter panel folds on phones. */
	$all("[data-toggle-views]").forEach(function (b) {
		b.addEventListener("click", function () {
			var v = $(".views");
			v.classList.toggle("open");
			b.setAttribute("aria-expanded", v.classList.contains("open") ? "true" : "false");
		});
	});
	/* Character counters: an <output data-counter="ID" data-limit="N"> counts
	 * the text of textarea ID as the platforms do (code points after NFC);
	 * a channel <select data-limit-for="ID"> sets the limit from its option. */
	function textLength(text) {
		try { text = text.normalize("NFC"); } catch (err) { /* old browser */ }
		return Array.from(text).length;
	}
	function count(out) {
		var t = document.getElementById(out.dataset.counter);
		if (!t) return;
		var sel = $('select[data-limit-for="' + t.id + '"]');
		if (sel && sel.selectedOptions[0]) out.dataset.limit = sel.selectedOptions[0].dataset.limit || "0";
		var n = textLength(t.value), limit = parseInt(out.dataset.limit || "0", 10);
		var over = limit > 0 && n > limit;
		out.textContent = limit > 0 ? n + " / " + limit + (over ? " – " + out.dataset.over : "") : String(n);
		out.classList.toggle("over", over);
		t.setAttribute("aria-invalid", over ? "true" : "false");
	}
	/* The variables left unfilled in the reply box, named below it. */
	function placeholders(t) {
		var box = t.dataset.missing && document.getElementById(t.dataset.missing);
		if (box) {
			var names = [], re = /\{\{\s*([a-z_]+\.[a-z_]+)\s*\}\}/g, m;
			while ((m = re.exec(t.value))) if (names.indexOf(m[1]) < 0) names.push(m[1]);
			box.hidden = !names.length;
			box.textContent = names.length ? box.dataset.label + " " + names.map(function (n) { return "{{" + n + "}}"; }).join(", ") : "";
		}
		/* An emptied box is no longer the template's text. */
		var field = t.dataset.templateField && document.getElementById(t.dataset.templateField);
		if (field && !t.value.trim()) field.value = "";
	}
	function countAll() {
		$all("output[data-counter]").forEach(count);
		$all("textarea[data-missing]").forEach(placeholders);
	}
	document.addEventListener("input", function (e) {
		var t = e.target;
		if (!t || !t.id) return;
		var out = $('output[data-counter="' + t.id + '"]');
		if (out) count(out);
		if (t.dataset && t.dataset.missing !== undefined) placeholders(t);
	});
	document.addEventListener("change", function (e) {
		var t = e.target;
		if (t && t.dataset && t.dataset.limitFor) {
			var out = $('output[data-counter="' + t.dataset.limitFor + '"]');
			if (out) count(out);
		}
	});
	document.addEventListener("htmx:afterSettle", countAll);
	countAll();
})();
