//! Prints `bincode::serialize(&span)` as hex for one span whose types mirror the shape of
//! opentelemetry 0.14's `SpanData` (feature `serialize`), as documented in
//! `forwarder/KATA-FORMAT.md`. Only std types and serde derive are used; field and variant order
//! follow the 0.14 declarations.

use serde::Serialize;
use std::collections::{BTreeMap, HashMap, LinkedList, VecDeque};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

#[derive(Serialize)]
struct TraceId(u128);

#[derive(Serialize)]
struct SpanId(u64);

#[derive(Serialize)]
struct Key(String);

#[derive(Serialize, PartialEq, Eq, PartialOrd, Ord)]
struct OrdKey(String);

#[derive(Serialize)]
struct SpanContext {
    trace_id: TraceId,
    span_id: SpanId,
    trace_flags: u8,
    is_remote: bool,
    trace_state: Option<VecDeque<(String, String)>>,
}

#[allow(dead_code)]
#[derive(Serialize)]
enum SpanKind {
    Client,
    Server,
    Producer,
    Consumer,
    Internal,
}

#[allow(dead_code)]
#[derive(Serialize)]
enum Array {
    Bool(Vec<bool>),
    I64(Vec<i64>),
    F64(Vec<f64>),
    String(Vec<String>),
}

#[allow(dead_code)]
#[derive(Serialize)]
enum Value {
    Bool(bool),
    I64(i64),
    F64(f64),
    String(String),
    Array(Array),
}

#[derive(Serialize)]
struct KeyValue {
    key: Key,
    value: Value,
}

#[derive(Serialize)]
struct EvictedHashMap {
    map: HashMap<Key, Value>,
    evict_list: LinkedList<Key>,
    max_len: u32,
    dropped_count: u32,
}

#[derive(Serialize)]
struct EvictedQueue<T> {
    queue: Option<VecDeque<T>>,
    max_len: u32,
    dropped_count: u32,
}

#[derive(Serialize)]
struct Event {
    name: String,
    timestamp: SystemTime,
    attributes: Vec<KeyValue>,
    dropped_attributes_count: u32,
}

#[derive(Serialize)]
struct Link {
    span_context: SpanContext,
    attributes: Vec<KeyValue>,
    dropped_attributes_count: u32,
}

#[allow(dead_code)]
#[derive(Serialize)]
enum StatusCode {
    Unset,
    Ok,
    Error,
}

#[derive(Serialize)]
struct Resource {
    attrs: BTreeMap<OrdKey, Value>,
}

#[derive(Serialize)]
struct SpanData {
    span_context: SpanContext,
    parent_span_id: SpanId,
    span_kind: SpanKind,
    name: String,
    start_time: SystemTime,
    end_time: SystemTime,
    attributes: EvictedHashMap,
    events: EvictedQueue<Event>,
    links: EvictedQueue<Link>,
    status_code: StatusCode,
    status_message: String,
    resource: Option<std::sync::Arc<Resource>>,
    // instrumentation_lib is #[serde(skip)] in 0.14: never written.
}

impl std::hash::Hash for Key {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        self.0.hash(h)
    }
}
impl PartialEq for Key {
    fn eq(&self, o: &Self) -> bool {
        self.0 == o.0
    }
}
impl Eq for Key {}

fn kv(k: &str, v: Value) -> KeyValue {
    KeyValue { key: Key(k.to_string()), value: v }
}

fn at(secs: u64, nanos: u32) -> SystemTime {
    UNIX_EPOCH + Duration::new(secs, nanos)
}

fn main() {
    // One entry only, so HashMap iteration order cannot matter.
    let mut map = HashMap::new();
    map.insert(Key("http.method".to_string()), Value::String("GET".to_string()));
    let mut evict_list = LinkedList::new();
    evict_list.push_back(Key("http.method".to_string()));

    let mut trace_state = VecDeque::new();
    trace_state.push_back(("vendor1".to_string(), "alpha".to_string()));
    trace_state.push_back(("vendor2".to_string(), "beta".to_string()));

    let mut events = VecDeque::new();
    events.push_back(Event {
        name: "exception".to_string(),
        timestamp: at(1_700_000_000, 500_000_000),
        // Keys in sorted order, the order OTel Java Attributes iterate in, so the Java test writer
        // can reproduce these bytes exactly.
        attributes: vec![
            kv("bools", Value::Array(Array::Bool(vec![true, false]))),
            kv("count", Value::I64(-42)),
            kv("flag", Value::Bool(true)),
            kv("floats", Value::Array(Array::F64(vec![1.5, -0.5]))),
            kv("ints", Value::Array(Array::I64(vec![1, -2, i64::MAX]))),
            kv("message", Value::String("boom".to_string())),
            kv("ratio", Value::F64(0.25)),
            kv("strings", Value::Array(Array::String(vec!["a".to_string(), "b".to_string()]))),
        ],
        dropped_attributes_count: 1,
    });

    let mut links = VecDeque::new();
    links.push_back(Link {
        span_context: SpanContext {
            trace_id: TraceId(0x0af7651916cd43dd8448eb211c80319c),
            span_id: SpanId(0xb7ad6b7169203331),
            trace_flags: 1,
            is_remote: true,
            trace_state: None,
        },
        attributes: vec![kv("link.kind", Value::String("follows".to_string()))],
        dropped_attributes_count: 2,
    });

    let mut attrs = BTreeMap::new();
    attrs.insert(OrdKey("service.name".to_string()), Value::String("kata-agent".to_string()));
    attrs.insert(OrdKey("host.cpus".to_string()), Value::I64(4));

    let span = SpanData {
        span_context: SpanContext {
            // > 2^64: the high 64 bits are not zero.
            trace_id: TraceId(0xfedcba98765432100123456789abcdef),
            // > 2^63: the top bit is set.
            span_id: SpanId(0x8000000000000abc),
            trace_flags: 1,
            is_remote: false,
            trace_state: Some(trace_state),
        },
        parent_span_id: SpanId(0x1122334455667788),
        span_kind: SpanKind::Server,
        name: "rpc.create_container".to_string(),
        start_time: at(1_700_000_000, 123_456_789),
        end_time: at(1_700_000_001, 987_654_321),
        attributes: EvictedHashMap { map, evict_list, max_len: 128, dropped_count: 3 },
        events: EvictedQueue { queue: Some(events), max_len: 128, dropped_count: 4 },
        links: EvictedQueue { queue: Some(links), max_len: 128, dropped_count: 5 },
        status_code: StatusCode::Error,
        status_message: "container failed".to_string(),
        resource: Some(std::sync::Arc::new(Resource { attrs })),
    };

    let bytes = bincode::serialize(&span).expect("serialize");
    let hex: String = bytes.iter().map(|b| format!("{:02x}", b)).collect();
    println!("{}", hex);
}
