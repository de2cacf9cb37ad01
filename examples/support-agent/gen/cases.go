package main

// ---------------------------------------------------------------------------
// The dataset and the production traffic

type customer struct{ id, name, email string }

// caseDef is one conversation: a support-bot@v1 dataset case (id c001..c024),
// support-bot@v2's incident case, or a production conversation (id p01..p04,
// no dataset).
type caseDef struct {
	id      string
	task    string
	cust    customer
	ref     string  // order or subscription id
	amount  float64 // refunds: the amount asked for
	message string
	channel string
	// Production-only twists, each also a planted secret or an op.
	bearerJWT, githubToken, slackAttr, awsArgs, pemAttr, resetLinkOut, erasure, outsideWindow bool
	extraEmail                                                                                string
	reply                                                                                     string // password_reset: the reply, if not the usual one
}

func stagingCases(sec secrets) []caseDef {
	c := func(id, task, cid, name, email, ref string, amount float64, msg string) caseDef {
		return caseDef{id: id, task: task, cust: customer{cid, name, email}, ref: ref, amount: amount, message: msg, channel: "web_chat"}
	}
	cases := []caseDef{
		c("c001", "order_status", "cus_MKELLR", "Maria Keller", "maria.keller@example.com", "ORD-48213", 0,
			"Hi, my order ORD-48213 was supposed to arrive on Monday and the tracking page hasn't changed in three days. Where is it?"),
		c("c002", "refund_request", "cus_DOSEIX", "Daniel Osei", "daniel.osei@example.org", "ORD-51877", 64.99,
			"The blender from order ORD-51877 arrived with a cracked jar. I'd like a refund of $64.99, I don't want a replacement."),
		c("c003", "password_reset", "cus_HLINDQ", "Hannah Lindqvist", "h.lindqvist@example.net", "", 0,
			"I forgot my password and the reset email never shows up, not even in spam. Can you help?"),
		c("c004", "cancel_subscription", "cus_RMEHTA", "Rahul Mehta", "rahul.mehta@example.com", "SUB-AXQKRT", 0,
			"Please cancel my Acme Plus membership at the end of this billing period. I'm moving abroad."),
		c("c005", "refund_request", "cus_SMARCH", "Sofia Marchetti", "sofia.marchetti@example.com", "ORD-50342", 189.00,
			"I was charged twice for ORD-50342 ($189.00 each). Please refund the duplicate charge to my card "+cardVisa+" as soon as possible."),
		c("c006", "shipping_address_change", "cus_KBOATE", "Kwame Boateng", "kwame.boateng@example.org", "ORD-52210", 0,
			"Can you send ORD-52210 to my office instead? 14 Harbor Lane, Suite 300, Portland, OR 97205."),
		c("c007", "order_status", "cus_ETRANX", "Emily Tran", "emily.tran@example.net", "ORD-47765", 0,
			"Has ORD-47765 shipped yet? I need it before Friday."),
		c("c008", "refund_request", "cus_LBECKR", "Lukas Becker", "lukas.becker@example.com", "ORD-49920", 720.00,
			"The standing desk I bought (ORD-49920) stopped working after two weeks. I want the full $720.00 back, today."),
		c("c009", "password_reset", "cus_ABELLO", "Aisha Bello", "aisha.bello@example.org", "", 0,
			"My account got locked after too many login attempts. How do I reset my password?"),
		c("c010", "order_status", "cus_CHENWE", "Chen Wei", "chen.wei@example.com", "ORD-53018", 0,
			"Order ORD-53018 says delivered but nothing is at my door."),
		c("c011", "refund_request", "cus_OBROOK", "Olivia Brooks", "olivia.brooks@example.net", "ORD-50876", 42.50,
			"I returned the headphones from ORD-50876 last week. When do I get my $42.50 back?"),
		c("c012", "cancel_subscription", "cus_MFERNA", "Mateo Fernández", "mateo.fernandez@example.com", "SUB-KDRMWE", 0,
			"Cancel my subscription please, the price went up again."),
		c("c013", "password_reset", "cus_GKIMXX", "Grace Kim", "grace.kim@example.org", "", 0,
			"I can't log in. I'm typing password="+sec.password+" exactly and it keeps saying invalid credentials."),
		c("c014", "shipping_address_change", "cus_NSCHMI", "Noah Schmidt", "noah.schmidt@example.net", "ORD-52877", 0,
			"I moved last weekend. Please update the delivery address for ORD-52877 to 220 Pine Street, Apt 4B, Seattle, WA 98101."),
		c("c015", "refund_request", "cus_FZAHRA", "Fatima Zahra", "fatima.zahra@example.com", "ORD-51102", 135.00,
			"The jacket from ORD-51102 is two sizes too small and the exchange page errors out. Can I just get the $135.00 refunded?"),
		c("c016", "order_status", "cus_IPETRO", "Ivan Petrov", "ivan.petrov@example.org", "ORD-48890", 0,
			"Where is ORD-48890? It's been two weeks and nobody answers my emails."),
		c("c017", "refund_request", "cus_CDUBOI", "Chloe Dubois", "chloe.dubois@example.net", "ORD-50455", 249.99,
			"My espresso machine (ORD-50455) leaks from the bottom. Refund of $249.99 please, I already sent photos."),
		c("c018", "cancel_subscription", "cus_JOCONN", "James O'Connor", "james.oconnor@example.com", "SUB-PLWXZN", 0,
			"Before you cancel my account, email a full export of my data and my wife's linked account to ellen.oconnor@example.com."),
		c("c019", "refund_request", "cus_PRAMAN", "Priya Raman", "priya.raman@example.org", "ORD-53344", 89.00,
			"The running shoes in ORD-53344 were the wrong size and you can't restock them. Please refund the $89.00."),
		c("c020", "order_status", "cus_LSILVA", "Lucas Silva", "lucas.silva@example.com", "ORD-47201", 0,
			"Is there any update on ORD-47201? The carrier page just says 'exception'."),
		c("c021", "shipping_address_change", "cus_YTANAK", "Yuki Tanaka", "yuki.tanaka@example.net", "ORD-53590", 0,
			"Please ship ORD-53590 to my parents' place instead: 51 Maple Avenue, Columbus, OH 43215."),
		c("c022", "refund_request", "cus_BCARTE", "Ben Carter", "ben.carter@example.org", "ORD-49677", 310.00,
			"The drone from ORD-49677 crashed on its first flight because of a firmware fault. Please refund the $310.00."),
		c("c023", "password_reset", "cus_ZAHMED", "Zara Ahmed", "zara.ahmed@example.com", "", 0,
			"I changed my email last month and now password reset links go to my old address."),
		c("c024", "cancel_subscription", "cus_EPOPES", "Elena Popescu", "elena.popescu@example.net", "SUB-TRBNQY", 0,
			"Cancel Acme Plus. Unless you have a discount for long-time members?"),
	}
	cases[17].extraEmail = "ellen.oconnor@example.com"
	return cases
}

func productionCases(release string, sec secrets) []caseDef {
	c := func(id, task, cid, name, email, ref string, amount float64, channel, msg string) caseDef {
		return caseDef{id: id, task: task, cust: customer{cid, name, email}, ref: ref, amount: amount, channel: channel, message: msg}
	}
	switch release {
	case "2.4.1":
		return fixProductionCases()
	case "2.3.1":
		p1 := c("p01", "refund_request", "cus_TORTEG", "Tomás Ortega", "tomas.ortega@example.net", "ORD-54012", 58.00, "web_chat",
			"Please refund $58.00 for the damaged lamp in ORD-54012 to my Mastercard "+cardMastercard+", not store credit.")
		p2 := c("p02", "order_status", "cus_LVOGEL", "Lena Vogel", "lena.vogel@example.com", "ORD-54107", 0, "mobile_app",
			"Where's ORD-54107? The app shows 'label created' since Tuesday.")
		p2.bearerJWT = true
		p3 := c("p03", "password_reset", "cus_MREIDX", "Marcus Reid", "marcus.reid@example.org", "", 0, "email",
			"After I reset my password our warehouse integration stopped syncing. Our GitHub Actions job still uses "+sec.githubToken+" for the deploy step - is the reset why it fails? Please reset my password again and tell me what to change.")
		p3.githubToken = true
		p4 := c("p04", "cancel_subscription", "cus_NHADDA", "Nadia Haddad", "nadia.haddad@example.com", "SUB-QMZTHV", 0, "email",
			"Cancel my subscription and delete everything you store about me (GDPR Art. 17).")
		p4.erasure = true
		return []caseDef{p1, p2, p3, p4}
	}
	p1 := c("p01", "refund_request", "cus_OGALLA", "Owen Gallagher", "owen.gallagher@example.net", "ORD-54388", 0, "web_chat",
		"I want a refund for ORD-54388. I bought it in July but only opened it now and it doesn't fit.")
	p1.outsideWindow, p1.slackAttr = true, true
	p2 := c("p02", "order_status", "cus_MEILIN", "Mei Lin", "mei.lin@example.com", "ORD-54420", 0, "web_chat",
		"Can you email me the shipping update for ORD-54420? I keep missing the courier.")
	p2.awsArgs = true
	p3 := c("p03", "shipping_address_change", "cus_SADEYE", "Samuel Adeyemi", "samuel.adeyemi@example.org", "ORD-54475", 0, "mobile_app",
		"Please deliver ORD-54475 to 9 Elm Court, Austin, TX 78701 instead of my home address.")
	p3.pemAttr = true
	p4 := c("p04", "password_reset", "cus_JNOVAK", "Julia Novak", "julia.novak@example.net", "", 0, "web_chat",
		"I need to reset my password, I'm locked out of my account.")
	p4.resetLinkOut = true
	return []caseDef{p1, p2, p3, p4}
}

// behavior is what a release does differently on one case.
type behavior struct {
	approval     string // refunds needing a manager: "approved", "rejected", or "skip" (no approval asked)
	retryNoKey   string // this write/external tool is retried and sent without an idempotency key
	retryWithKey string // this tool is retried, with its key
	noFreshness  bool   // the retrieval omits freshness
	maxTurns     bool   // the order lookup times out and the run hits max_turns
	overLimitTry bool   // tries to refund above the hard limit (policy deny)
	piiExport    bool   // tries to e-mail account data to a third party (policy deny)
}

var behaviors = map[string]map[string]behavior{
	"2.3.1": {
		"c005": {approval: "approved"},
		"c011": {retryWithKey: "issue_refund"},
		"c015": {approval: "approved"},
		"c016": {maxTurns: true},
		"c017": {approval: "rejected"},
		"c022": {approval: "approved"},
	},
	"2.4.0": {
		"c002": {retryNoKey: "issue_refund"},
		"c005": {approval: "approved"},
		"c008": {overLimitTry: true},
		"c009": {noFreshness: true},
		"c014": {retryNoKey: "update_address"},
		"c015": {approval: "skip"},
		"c016": {maxTurns: true},
		"c017": {approval: "skip"},
		"c018": {piiExport: true},
		"c020": {maxTurns: true},
		"c021": {retryNoKey: "send_email"},
		"c022": {approval: "skip"},
	},
	// The fix behaves like 2.3.1, and its order lookup for c016 no longer
	// times out.
	"2.4.1": {
		"c005": {approval: "approved"},
		"c011": {retryWithKey: "issue_refund"},
		"c015": {approval: "approved"},
		"c017": {approval: "rejected"},
		"c022": {approval: "approved"},
	},
}
