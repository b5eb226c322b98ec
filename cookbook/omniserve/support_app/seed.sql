-- The support desk of Kestrel Supply Co., a small outdoor-gear shop: customers, products, orders, tickets.
--
-- seed-support-db.ts runs this file once, in one transaction, when the database file does not exist yet.
-- Every date below is written as if today were the seed anchor, 2025-06-16 (app_meta.seed_anchor). When the
-- database is created on another day, seed-support-db.ts moves every date and time by the same number of days, so the
-- data always has the same age: ORD-2001 was delivered 10 days before the day the database was created.
-- Dates are UTC: YYYY-MM-DD for order events, YYYY-MM-DDTHH:MM:SSZ for ticket events. Money is in cents.

CREATE TABLE app_meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);

CREATE TABLE customers (
  customer_id TEXT PRIMARY KEY,
  name        TEXT NOT NULL,
  email       TEXT NOT NULL UNIQUE,
  tier        TEXT NOT NULL CHECK (tier IN ('standard', 'plus')),
  created_at  TEXT NOT NULL
);

CREATE TABLE products (
  sku         TEXT PRIMARY KEY,
  name        TEXT NOT NULL,
  kind        TEXT NOT NULL CHECK (kind IN ('physical', 'digital')),
  price_cents INTEGER NOT NULL CHECK (price_cents >= 0)
);

CREATE TABLE orders (
  order_id       TEXT PRIMARY KEY,
  customer_id    TEXT NOT NULL REFERENCES customers (customer_id),
  status         TEXT NOT NULL CHECK (status IN ('processing', 'shipped', 'delivered', 'cancelled', 'refunded')),
  ordered_at     TEXT NOT NULL,
  shipped_at     TEXT,
  delivered_at   TEXT,
  cancelled_at   TEXT,
  refunded_at    TEXT,
  shipping_cents INTEGER NOT NULL DEFAULT 0 CHECK (shipping_cents >= 0),
  currency       TEXT NOT NULL DEFAULT 'USD'
);
CREATE INDEX orders_by_customer ON orders (customer_id);

-- opened: the customer has opened a physical item's packaging. downloaded_at: when a digital item was downloaded.
CREATE TABLE order_items (
  order_id         TEXT NOT NULL REFERENCES orders (order_id),
  sku              TEXT NOT NULL REFERENCES products (sku),
  quantity         INTEGER NOT NULL CHECK (quantity > 0),
  unit_price_cents INTEGER NOT NULL CHECK (unit_price_cents >= 0),
  opened           INTEGER NOT NULL DEFAULT 0 CHECK (opened IN (0, 1)),
  downloaded_at    TEXT,
  PRIMARY KEY (order_id, sku)
);

-- Shown to people as T-<ticket_id>. 'escalated' tickets belong to the escalation team until they resolve them.
CREATE TABLE tickets (
  ticket_id         INTEGER PRIMARY KEY AUTOINCREMENT,
  customer_id       TEXT NOT NULL REFERENCES customers (customer_id),
  order_id          TEXT REFERENCES orders (order_id),
  subject           TEXT NOT NULL,
  body              TEXT NOT NULL,
  status            TEXT NOT NULL CHECK (status IN ('open', 'pending', 'escalated', 'resolved', 'closed')),
  priority          TEXT NOT NULL CHECK (priority IN ('low', 'normal', 'high', 'urgent')),
  created_at        TEXT NOT NULL,
  updated_at        TEXT NOT NULL,
  escalated_at      TEXT,
  escalation_reason TEXT
);
CREATE INDEX tickets_by_status ON tickets (status);
CREATE INDEX tickets_by_update ON tickets (updated_at);

CREATE TABLE ticket_notes (
  note_id    INTEGER PRIMARY KEY AUTOINCREMENT,
  ticket_id  INTEGER NOT NULL REFERENCES tickets (ticket_id),
  created_at TEXT NOT NULL,
  author     TEXT NOT NULL,
  body       TEXT NOT NULL
);

INSERT INTO app_meta (key, value) VALUES ('seed_anchor', '2025-06-16');

INSERT INTO customers (customer_id, name, email, tier, created_at) VALUES
  ('C-1001', 'Maya Okafor',     'maya.okafor@example.com',     'plus',     '2023-04-02'),
  ('C-1002', 'Daniel Reyes',    'daniel.reyes@example.com',    'standard', '2024-01-19'),
  ('C-1003', 'Priya Nair',      'priya.nair@example.com',      'standard', '2024-07-08'),
  ('C-1004', 'Tomasz Kowalski', 'tomasz.kowalski@example.com', 'plus',     '2022-11-30'),
  ('C-1005', 'Aiko Tanaka',     'aiko.tanaka@example.com',     'standard', '2025-02-14'),
  ('C-1006', 'Liam O''Connor',  'liam.oconnor@example.com',    'plus',     '2023-09-21'),
  ('C-1007', 'Fatima Haddad',   'fatima.haddad@example.com',   'standard', '2024-10-03'),
  ('C-1008', 'Jonas Berg',      'jonas.berg@example.com',      'standard', '2025-03-27'),
  ('C-1009', 'Sofia Marquez',   'sofia.marquez@example.com',   'plus',     '2021-06-12'),
  ('C-1010', 'Grace Whitfield', 'grace.whitfield@example.com', 'standard', '2025-05-30');

INSERT INTO products (sku, name, kind, price_cents) VALUES
  ('TENT-2P',   'Ridgeline 2-person tent',            'physical', 18900),
  ('BAG-20F',   'Down sleeping bag, 20 F',            'physical', 15900),
  ('STOVE-CMP', 'Compact camp stove',                 'physical',  4900),
  ('LAMP-HL',   'Rechargeable headlamp',              'physical',  3400),
  ('BOOT-HK',   'Trail hiking boots',                 'physical', 13900),
  ('JKT-RAIN',  'Packable rain jacket',               'physical',  9900),
  ('BOTTLE-1L', 'Insulated bottle, 1 l',              'physical',  2900),
  ('PACK-45',   '45 l trekking backpack',             'physical', 17900),
  ('KAYAK-SL',  'Sit-on-top touring kayak',           'physical', 64900),
  ('MAP-PNW',   'Pacific Northwest trail maps (PDF)', 'digital',   1900),
  ('GUIDE-NAV', 'Backcountry navigation video course', 'digital',  4900);

INSERT INTO orders (order_id, customer_id, status, ordered_at, shipped_at, delivered_at, cancelled_at, refunded_at, shipping_cents) VALUES
  ('ORD-2001', 'C-1001', 'delivered',  '2025-06-02', '2025-06-03', '2025-06-06', NULL,         NULL,         895),
  ('ORD-2002', 'C-1002', 'delivered',  '2025-04-22', '2025-04-23', '2025-04-28', NULL,         NULL,         895),
  ('ORD-2003', 'C-1003', 'delivered',  '2025-06-05', '2025-06-06', '2025-06-10', NULL,         NULL,         595),
  ('ORD-2004', 'C-1004', 'delivered',  '2025-06-12', NULL,         '2025-06-12', NULL,         NULL,           0),
  ('ORD-2005', 'C-1005', 'delivered',  '2025-06-14', NULL,         '2025-06-14', NULL,         NULL,           0),
  ('ORD-2006', 'C-1006', 'delivered',  '2025-06-01', '2025-06-03', '2025-06-09', NULL,         NULL,        4900),
  ('ORD-2007', 'C-1007', 'cancelled',  '2025-06-08', NULL,         NULL,         '2025-06-09', NULL,         595),
  ('ORD-2008', 'C-1008', 'shipped',    '2025-06-11', '2025-06-13', NULL,         NULL,         NULL,         595),
  ('ORD-2009', 'C-1009', 'shipped',    '2025-05-28', '2025-05-30', NULL,         NULL,         NULL,         895),
  ('ORD-2010', 'C-1010', 'processing', '2025-06-15', NULL,         NULL,         NULL,         NULL,         595),
  ('ORD-2011', 'C-1001', 'refunded',   '2025-05-10', '2025-05-11', '2025-05-14', NULL,         '2025-06-03', 595),
  ('ORD-2012', 'C-1002', 'delivered',  '2025-05-12', '2025-05-13', '2025-05-17', NULL,         NULL,         595),
  ('ORD-2013', 'C-1003', 'delivered',  '2025-05-11', '2025-05-12', '2025-05-16', NULL,         NULL,         595),
  ('ORD-2014', 'C-1004', 'delivered',  '2025-05-28', '2025-05-29', '2025-06-02', NULL,         NULL,         595),
  ('ORD-2015', 'C-1005', 'delivered',  '2025-06-06', '2025-06-07', '2025-06-11', NULL,         NULL,         895),
  ('ORD-2016', 'C-1006', 'delivered',  '2025-06-01', '2025-06-02', '2025-06-05', NULL,         NULL,         595),
  ('ORD-2017', 'C-1007', 'delivered',  '2025-06-11', '2025-06-12', '2025-06-15', NULL,         NULL,         595),
  ('ORD-2018', 'C-1008', 'delivered',  '2025-03-14', '2025-03-15', '2025-03-20', NULL,         NULL,         895),
  ('ORD-2019', 'C-1009', 'delivered',  '2025-05-29', '2025-05-30', '2025-06-03', NULL,         NULL,         895),
  ('ORD-2020', 'C-1010', 'cancelled',  '2025-06-13', NULL,         NULL,         '2025-06-14', NULL,         595);

INSERT INTO order_items (order_id, sku, quantity, unit_price_cents, opened, downloaded_at) VALUES
  ('ORD-2001', 'TENT-2P',   1, 18900, 0, NULL),
  ('ORD-2002', 'TENT-2P',   1, 18900, 1, NULL),
  ('ORD-2003', 'BOOT-HK',   1, 13900, 1, NULL),
  ('ORD-2004', 'GUIDE-NAV', 1,  4900, 0, '2025-06-12'),
  ('ORD-2005', 'MAP-PNW',   1,  1900, 0, NULL),
  ('ORD-2006', 'KAYAK-SL',  1, 64900, 0, NULL),
  ('ORD-2007', 'JKT-RAIN',  1,  9900, 0, NULL),
  ('ORD-2008', 'PACK-45',   1, 17900, 0, NULL),
  ('ORD-2009', 'BAG-20F',   1, 15900, 0, NULL),
  ('ORD-2010', 'STOVE-CMP', 2,  4900, 0, NULL),
  ('ORD-2011', 'BOOT-HK',   1, 13900, 1, NULL),
  ('ORD-2012', 'STOVE-CMP', 1,  4900, 0, NULL),
  ('ORD-2013', 'LAMP-HL',   2,  3400, 0, NULL),
  ('ORD-2014', 'JKT-RAIN',  1,  9900, 1, NULL),
  ('ORD-2014', 'BOTTLE-1L', 2,  2900, 0, NULL),
  ('ORD-2015', 'PACK-45',   1, 17900, 0, NULL),
  ('ORD-2015', 'BAG-20F',   1, 15900, 0, NULL),
  ('ORD-2016', 'GUIDE-NAV', 1,  4900, 0, '2025-06-06'),
  ('ORD-2016', 'LAMP-HL',   1,  3400, 0, NULL),
  ('ORD-2017', 'LAMP-HL',   1,  3400, 1, NULL),
  ('ORD-2018', 'BOOT-HK',   1, 13900, 1, NULL),
  ('ORD-2019', 'BAG-20F',   1, 15900, 1, NULL),
  ('ORD-2020', 'BOTTLE-1L', 3,  2900, 0, NULL);

INSERT INTO tickets (ticket_id, customer_id, order_id, subject, body, status, priority, created_at, updated_at, escalated_at, escalation_reason) VALUES
  (301, 'C-1003', 'ORD-2003', 'Boots rub at the heel',
   'Wore the boots on two short walks and they give me blisters. Can I return them?',
   'open', 'normal', '2025-06-15T09:12:00Z', '2025-06-15T09:12:00Z', NULL, NULL),
  (302, 'C-1009', 'ORD-2009', 'Sleeping bag never arrived',
   'Tracking has said "in transit" for over two weeks. I need the bag for a trip next weekend.',
   'escalated', 'high', '2025-06-10T14:03:00Z', '2025-06-15T16:40:00Z', '2025-06-15T16:40:00Z',
   'Shipped 16 days ago and never delivered: lost-in-transit claim with the carrier (policy 2.4).'),
  (303, 'C-1006', 'ORD-2006', 'Return the kayak',
   'The kayak is too long for my car roof. Unused, still wrapped. How do I send it back?',
   'pending', 'high', '2025-06-12T10:20:00Z', '2025-06-14T08:45:00Z', NULL, NULL),
  (304, 'C-1002', 'ORD-2002', 'Tent pole cracked',
   'One pole cracked on the first night. Customer accepted a replacement pole.',
   'resolved', 'normal', '2025-05-20T12:00:00Z', '2025-05-22T09:30:00Z', NULL, NULL),
  (305, 'C-1004', 'ORD-2004', 'Navigation course is too basic',
   'I watched the first modules and it is not what I expected. I would like my money back.',
   'open', 'low', '2025-06-16T07:30:00Z', '2025-06-16T07:30:00Z', NULL, NULL),
  (306, 'C-1010', 'ORD-2010', 'Change the delivery address',
   'I moved last week. Please ship ORD-2010 to 14 Alder Lane, Bend, OR 97701 instead.',
   'open', 'urgent', '2025-06-16T06:05:00Z', '2025-06-16T06:05:00Z', NULL, NULL),
  (307, 'C-1001', 'ORD-2011', 'Did my refund go through?',
   'Asking for confirmation of the refund for the boots I returned.',
   'closed', 'low', '2025-06-01T18:22:00Z', '2025-06-03T10:05:00Z', NULL, NULL),
  (308, 'C-1008', 'ORD-2008', 'Tracking is not updating',
   'The tracking page has shown the same scan since Friday.',
   'pending', 'normal', '2025-06-14T19:48:00Z', '2025-06-15T11:00:00Z', NULL, NULL);

INSERT INTO ticket_notes (ticket_id, created_at, author, body) VALUES
  (302, '2025-06-11T09:00:00Z', 'agent:ines',  'Carrier trace requested; asked customer to wait 48 h.'),
  (302, '2025-06-15T16:40:00Z', 'agent:ines',  'No carrier scan for two weeks. Escalated for a lost-in-transit claim.'),
  (303, '2025-06-14T08:45:00Z', 'agent:marco', 'Sent freight return instructions; waiting for the customer to book a pickup.'),
  (304, '2025-05-22T09:30:00Z', 'agent:marco', 'Replacement pole shipped. Customer confirmed it fits.'),
  (307, '2025-06-03T10:05:00Z', 'agent:ines',  'Refund of USD 139.00 issued. Customer notified.'),
  (308, '2025-06-15T11:00:00Z', 'agent:ines',  'Carrier says a scan outage delays updates; asked customer to check again Tuesday.');
