//! The layers between a user and the authoritative server, a set of them
//! as bits, and one value per layer.

/// The layers between a user and the authoritative server, leaf to root.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Layer {
    Connection = 0,
    App = 1,
    Os = 2,
    Router = 3,
    Resolver = 4,
    Authoritative = 5,
}

impl Layer {
    pub const COUNT: usize = 6;
    pub const ALL: [Layer; Layer::COUNT] = [
        Layer::Connection,
        Layer::App,
        Layer::Os,
        Layer::Router,
        Layer::Resolver,
        Layer::Authoritative,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Layer::Connection => "connection",
            Layer::App => "app",
            Layer::Os => "os",
            Layer::Router => "router",
            Layer::Resolver => "resolver",
            Layer::Authoritative => "authoritative",
        }
    }

    /// The next layer towards the authoritative server.
    pub fn up(self) -> Layer {
        match self {
            Layer::Connection => Layer::App,
            Layer::App => Layer::Os,
            Layer::Os => Layer::Router,
            Layer::Router => Layer::Resolver,
            Layer::Resolver | Layer::Authoritative => Layer::Authoritative,
        }
    }
}

/// A set of layers, one bit each (in [`Layer`]'s order). A device keeps
/// one: which layers of its chain have a cache.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LayerMask(u8);

impl LayerMask {
    pub const EMPTY: LayerMask = LayerMask(0);

    #[inline(always)]
    pub const fn of(layer: Layer) -> LayerMask {
        LayerMask(1 << layer as u8)
    }

    /// `layer` if `yes`, else nothing.
    #[inline(always)]
    pub const fn of_if(layer: Layer, yes: bool) -> LayerMask {
        LayerMask((yes as u8) << layer as u8)
    }

    /// `layer` and every layer above it.
    #[inline(always)]
    pub const fn from(layer: Layer) -> LayerMask {
        LayerMask((u8::MAX << layer as u8) & ((1 << Layer::COUNT) - 1))
    }

    #[inline(always)]
    pub const fn has(self, layer: Layer) -> bool {
        self.0 & (1 << layer as u8) != 0
    }

    #[inline(always)]
    pub const fn contains(self, other: LayerMask) -> bool {
        self.0 & other.0 == other.0
    }
}

impl std::ops::BitOr for LayerMask {
    type Output = LayerMask;
    #[inline(always)]
    fn bitor(self, other: LayerMask) -> LayerMask {
        LayerMask(self.0 | other.0)
    }
}

impl std::ops::BitOrAssign for LayerMask {
    #[inline(always)]
    fn bitor_assign(&mut self, other: LayerMask) {
        self.0 |= other.0;
    }
}

impl std::ops::BitAnd for LayerMask {
    type Output = LayerMask;
    #[inline(always)]
    fn bitand(self, other: LayerMask) -> LayerMask {
        LayerMask(self.0 & other.0)
    }
}

/// One value per layer, indexed by [`Layer`].
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PerLayer<T>(pub [T; Layer::COUNT]);

impl<T> PerLayer<T> {
    /// Each layer with its value, leaf to root.
    pub fn iter(&self) -> impl Iterator<Item = (Layer, &T)> {
        Layer::ALL.into_iter().zip(&self.0)
    }

    /// The values, leaf to root.
    pub fn values(&self) -> std::slice::Iter<'_, T> {
        self.0.iter()
    }

    pub fn values_mut(&mut self) -> std::slice::IterMut<'_, T> {
        self.0.iter_mut()
    }
}

impl<T> std::ops::Index<Layer> for PerLayer<T> {
    type Output = T;
    #[inline(always)]
    fn index(&self, layer: Layer) -> &T {
        &self.0[layer as usize]
    }
}

impl<T> std::ops::IndexMut<Layer> for PerLayer<T> {
    #[inline(always)]
    fn index_mut(&mut self, layer: Layer) -> &mut T {
        &mut self.0[layer as usize]
    }
}
