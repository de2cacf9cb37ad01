# Generates ingest/redact/testdata/corpus/secrets.tsv: every value is fake
# (random from a fixed seed), shaped like the real thing.
import random, string, base64, json
R = random.Random(10)
AN = string.ascii_letters + string.digits
def rs(n, al=AN): return ''.join(R.choice(al) for _ in range(n))
def hexs(n):
    while True:
        v = rs(n, '0123456789abcdef')
        if any(c.isdigit() for c in v): return v
B64U = AN + '_-'
def luhn_complete(prefix, n):
    d = prefix + rs(n - len(prefix) - 1, string.digits)
    for c in string.digits:
        x = d + c; s = 0
        for i, ch in enumerate(reversed(x)):
            v = int(ch)
            if i % 2: v *= 2; v = v - 9 if v > 9 else v
            s += v
        if s % 10 == 0: return x

rows = []
def add(typ, value, place, text):
    assert value in text, (value, text)
    rows.append((typ, value, place, text))

def token_places(typ, v, keyname='note'):
    add(typ, v, 'prose', f'I found {v} in the repo history, please rotate it today.')
    add(typ, v, 'json', json.dumps({"tool": "shell", "output": f"export X={v}"}))
    add(typ, v, 'kv', f'{keyname}={v} retries=3')
    add(typ, v, 'header', f'X-Debug-Info: {v}')
    add(typ, v, 'log', f'2025-03-02T10:11:12Z DEBUG loaded client secret {v} (len={len(v)})')
    add(typ, v, 'url', f'https://api.example.com/v1/items?key={v}&page=2')
    add(typ, v, 'yaml', f'config:\n  value: "{v}"\n  region: eu-west-1')
    add(typ, v, 'escaped_json', json.dumps(json.dumps({"args": {"text": v}})))

def vendor(typ, gen, k=2):
    for _ in range(k): token_places(typ, gen())

vendor('google_api_key', lambda: 'AIza' + rs(35, B64U))
vendor('openai_key', lambda: 'sk-proj-' + rs(48, B64U))
vendor('openai_key', lambda: 'sk-' + rs(48), 1)
vendor('anthropic_key', lambda: 'sk-ant-api03-' + rs(80, B64U) + 'AA')
vendor('stripe_key', lambda: R.choice(['sk_live_', 'rk_live_', 'sk_test_', 'rk_test_']) + rs(40))
vendor('sendgrid_key', lambda: 'SG.' + rs(22, B64U) + '.' + rs(43, B64U))
vendor('huggingface_token', lambda: 'hf_' + rs(34))
vendor('npm_token', lambda: 'npm_' + rs(36))
vendor('gitlab_token', lambda: 'glpat-' + rs(20, B64U))
vendor('github_token', lambda: 'ghp_' + rs(36))
vendor('github_token', lambda: 'github_pat_11' + rs(20) + '_' + rs(59), 1)
vendor('aws_key', lambda: 'AKIA' + rs(16, string.ascii_uppercase + string.digits))
vendor('slack_token', lambda: 'xoxb-' + rs(12, string.digits) + '-' + rs(13, string.digits) + '-' + rs(24))
vendor('jwt', lambda: 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.' + base64.urlsafe_b64encode(json.dumps({"sub": rs(8)}).encode()).decode().rstrip('=') + '.' + rs(43, B64U))
vendor('twilio_key', lambda: 'SK' + hexs(32))
vendor('email', lambda: rs(6, string.ascii_lowercase) + '.' + rs(5, string.ascii_lowercase) + '@' + rs(7, string.ascii_lowercase) + '.com')

for _ in range(8):
    tok = hexs(32); sid = 'AC' + hexs(32)
    form = R.randrange(4)
    text = [f'client = Client("{sid}", "{tok}")',
            f'twilio account {sid} auth token {tok}',
            json.dumps({"account_sid": sid, "auth_token_value": tok}),
            f'curl -u {sid}:{tok} https://api.twilio.com/2010-04-01/Accounts'][form]
    add('twilio_key', tok, ['code', 'prose', 'json', 'cli'][form], text)

for _ in range(10):
    v = str(R.randrange(10**8, 10**10)) + ':AA' + rs(33, B64U)
    place = R.choice(['url', 'prose', 'json', 'env'])
    text = {'url': f'GET https://api.telegram.org/bot{v}/getUpdates',
            'prose': f'the bot token is {v} keep it safe',
            'json': json.dumps({"telegram": {"bot": v}}),
            'env': f'TG={v}'}[place]
    add('telegram_bot_token', v, place, text)

for _ in range(10):
    v = str(R.randrange(10**17, 10**18)) + '/' + rs(68, B64U)
    host = R.choice(['discord.com', 'discordapp.com', 'ptb.discord.com'])
    place = R.choice(['prose', 'json', 'cli'])
    url = f'https://{host}/api/webhooks/{v}'
    text = {'prose': f'post alerts to {url} please', 'json': json.dumps({"webhook": url}), 'cli': f"curl -X POST -d '{{}}' {url}"}[place]
    add('discord_webhook', v, place, text)
for _ in range(6):
    v = 'T' + rs(8, string.ascii_uppercase + string.digits) + '/B' + rs(10, string.ascii_uppercase + string.digits) + '/' + rs(24)
    add('slack_token', v, R.choice(['prose', 'json']), f'webhook: https://hooks.slack.com/services/{v} for #alerts')

for _ in range(12):
    v = rs(86, AN + '+/') + '=='
    kind = R.choice(['AccountKey', 'SharedAccessKey'])
    place = R.choice(['connstr', 'json', 'env'])
    cs = f'DefaultEndpointsProtocol=https;AccountName=st{rs(6, string.ascii_lowercase)};{kind}={v};EndpointSuffix=core.windows.net'
    text = {'connstr': cs, 'json': json.dumps({"ConnectionStrings": {"Storage": cs}}), 'env': 'AZURE_STORAGE_CONNECTION_STRING="' + cs + '"'}[place]
    add('azure_storage_key', v, place, text)

def pem(label, lower=False, dashes='-----', sp=''):
    body = '\n'.join(rs(64, AN + '+/') for _ in range(3))
    b, e = f'{dashes}{sp}BEGIN {label}{sp}{dashes}', f'{dashes}{sp}END {label}{sp}{dashes}'
    if lower: b, e = b.lower(), e.lower()
    return body.split('\n')[0], f'{b}\n{body}\n{e}'
for label, lower, d, sp in [('RSA PRIVATE KEY', False, '-----', ''), ('EC PRIVATE KEY', False, '-----', ''), ('OPENSSH PRIVATE KEY', False, '-----', ''),
                            ('PRIVATE KEY', True, '-----', ''), ('ENCRYPTED PRIVATE KEY', False, '-----', ''), ('PGP PRIVATE KEY BLOCK', False, '-----', ''),
                            ('SSH2 ENCRYPTED PRIVATE KEY', False, '----', ' '), ('DSA PRIVATE KEY', True, '-----', ''), ('RSA PRIVATE KEY', True, '-----', '')]:
    v, block = pem(label, lower, d, sp)
    add('private_key', v, 'file', 'cat id_key\n' + block + '\n$ ')
    add('private_key', v, 'json', json.dumps({"tool": "read_file", "output": block}))
for _ in range(4):
    v = rs(64, AN + '+/')
    ppk = f'PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\nComment: eddsa-key\nPublic-Lines: 2\n{rs(64, AN+"+/")}\n{rs(20, AN)}\nPrivate-Lines: 1\n{v}\nPrivate-MAC: {hexs(64)}\n'
    add('private_key', v, R.choice(['file', 'prose']), 'key file contents:\n' + ppk)
    add('private_key', v, 'json', json.dumps({"output": ppk}))

for _ in range(14):
    user, pw = rs(5, string.ascii_lowercase), rs(14)
    v = base64.b64encode(f'{user}:{pw}'.encode()).decode()
    place = R.choice(['cli', 'prose', 'log', 'json'])
    text = {'cli': f"curl -H 'X-Upstream: Basic {v}' https://h/x",
            'prose': f'use Basic {v} to log in', 'log': f'level=debug upstream header="Basic {v}"',
            'json': json.dumps({"proxy": {"header": "Basic " + v}})}[place]
    add('basic_auth', v, place, text)

for _ in range(14):
    v = rs(32)
    name = R.choice(['sessionid', 'PHPSESSID', 'JSESSIONID', 'laravel_session', '_myapp_session', 'connect.sid', '_gh_sess', 'ASP.NET_SessionId'])
    place = R.choice(['header', 'setcookie', 'js', 'json'])
    text = {'header': f'Cookie: theme=dark; {name}={v}; lang=en', 'setcookie': f'Set-Cookie: {name}={v}; Path=/; HttpOnly; Secure',
            'js': f'document.cookie = "{name}={v}"', 'json': json.dumps({"cookies": {name: v}})}[place]
    add('session_cookie', v, place, text)

for _ in range(8):
    v = rs(40, AN + '/+')
    add('aws_key', v, R.choice(['env', 'ini']), R.choice([f'AWS_SECRET_ACCESS_KEY={v}', f'[default]\naws_access_key_id = AKIA{rs(16, string.ascii_uppercase)}\naws_secret_access_key = {v}\n']))

for key in ['password', 'pwd', 'pass', 'passwd', 'auth', 'credentials', 'secret', 'api_key', 'access_token', 'client_secret', 'passphrase', 'x-api-key', 'DB_PASS', 'auth_token']:
    v = rs(12) + R.choice(['!', '#', '%', '']) + rs(4)
    add('credential', v, 'kv', f'login {key}={v} ok')
    add('credential', v, 'json', json.dumps({"user": "bob", key: v}))
    add('credential', v, 'yaml', f'db:\n  {key}: {v}\n  host: db1')
for key in ['STRIPE_KEY', 'ENCRYPTION_KEY', 'SENTRY_DSN', 'SECRET_KEY_BASE', 'DATABASE_PASSWORD', 'SMTP_PASS', 'MASTER_KEY', 'JWT_SECRET', 'SIGNING_KEY', 'APP_PRIVATE_KEY_ID']:
    v = rs(24)
    add('credential', v, 'env', f'# .env\nNODE_ENV=production\n{key}={v}\nPORT=8080')
for scheme in ['postgres', 'postgresql', 'mysql', 'mongodb', 'mongodb+srv', 'redis', 'rediss', 'amqp', 'amqps']:
    for _ in range(2):
        v = rs(16)
        user = R.choice(['app', 'admin', ''])
        url = f'{scheme}://{user}:{v}@db-{rs(4, string.ascii_lowercase)}.internal:5432/main?sslmode=require'
        place = R.choice(['env', 'prose', 'json', 'log'])
        text = {'env': f'DATABASE_URL={url}', 'prose': f'connect with {url} then run migrations', 'json': json.dumps({"dsn": url}), 'log': f'ERROR dial {url}: timeout'}[place]
        add('credential', v, place, text)
for scheme in ['Token', 'SSWS', 'ApiKey', 'Digest', 'AWS4-HMAC-SHA256', 'Negotiate', 'Custom']:
    for _ in range(2):
        v = rs(30)
        hv = {'Digest': f'username="bob", realm="api", response="{v}"', 'AWS4-HMAC-SHA256': f'Credential=AKID/20250101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature={v}'}.get(scheme, v)
        place = R.choice(['header', 'curl', 'json'])
        text = {'header': f'GET /x HTTP/1.1\r\nHost: h\r\nAuthorization: {scheme} {hv}\r\nAccept: */*', 'curl': f'curl -H "Proxy-Authorization: {scheme} {hv}" https://h',
                'json': json.dumps({"headers": {"Authorization": f"{scheme} {hv}"}})}[place]
        add('credential', v, place, text)
for _ in range(10):
    v = rs(28, AN + '._-')
    add('bearer_token', v, R.choice(['header', 'prose']), R.choice([f'Authorization: Bearer {v}', f'send it with bearer {v} in the header', json.dumps({"h": "Bearer " + v})]))

for prefix, n in [('4', 16), ('4', 13), ('51', 16), ('55', 16), ('2221', 16), ('2720', 16), ('34', 15), ('37', 15), ('6011', 16), ('65', 16), ('644', 16), ('3528', 16), ('36', 14), ('62', 19), ('4', 19)]:
    d = luhn_complete(prefix, n)
    if n == 15: groups = [d[:4], d[4:10], d[10:]]
    elif n == 14: groups = [d[:4], d[4:10], d[10:]]
    else: groups = [d[i:i+4] for i in range(0, n, 4)]
    sep = R.choice(['', ' ', '-', '.'])
    v = sep.join(groups)
    place = R.choice(['prose', 'json', 'log', 'kv'])
    text = {'prose': f'charge card {v} exp 12/29', 'json': json.dumps({"payment": {"pan": v, "amount": 12.5}}), 'log': f'INFO payment card={v} status=declined', 'kv': f'pan={v}&cvv=123'}[place]
    add('card_number', v, place, text)
    d2 = luhn_complete(prefix, n)
    add('card_number', d2, 'prose', f'my card number is {d2}, thanks')

with open('/work/wt-h9/ingest/redact/testdata/corpus/secrets.tsv', 'w') as f:
    f.write('# Fake secrets planted the way agents leak them: TYPE<TAB>VALUE<TAB>PLACE<TAB>TEXT.\n')
    f.write('# TEXT is a Go-quoted string holding VALUE. Generated once from a fixed seed; nothing here is real.\n')
    for t, v, p, x in rows:
        x = json.dumps(x)  # a JSON string literal is a valid Go quoted string for this ASCII data
        f.write(f'{t}\t{v}\t{p}\t{x}\n')
import collections
print(len(rows), collections.Counter(r[0] for r in rows))
