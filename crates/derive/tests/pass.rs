//! What the derive accepts: programs that use it compile and run. (What it
//! refuses is in `ui.rs`.)

/// The derive's `ToDevice`: a device parameter found by its bound, or named;
/// fields that mention it move, the others are cloned.
mod device_moves {
    use tf::functor::Functor;
    use tf::{Cpu, Device, Stack, Tensor, ToDevice, Vector};

    #[derive(Functor, Clone)]
    struct Scaled<const N: usize, D: Device = Cpu> {
        w: Vector<N, f64, D>,
        #[functor(skip)]
        name: String,
        scale: f64,
    }

    #[derive(Functor)]
    #[functor(device = Dv)]
    struct Pair<Dv>(Tensor<(tf::Const<2>,), f32, Dv>, String)
    where
        Dv: Device;

    #[test]
    fn fields_that_mention_the_device_move_and_the_others_are_cloned() {
        let s = Scaled::<3> {
            w: Vector::ones(),
            name: "s".into(),
            scale: 2.0,
        };
        let t: Scaled<3, Stack> = s.to_device(&Stack);
        assert_eq!(
            (t.name.as_str(), t.scale, t.w.to_vec()),
            ("s", 2.0, vec![1.0; 3])
        );
        let p = Pair(Vector::<2>::zeros(), "p".to_owned());
        let q: Pair<Stack> = p.to_device(&Stack);
        assert_eq!(q.1, "p");
    }
}

/// The crate depends on typeflux-core under another name, `tf`; the derive
/// finds it there.
mod renamed_dependency {
    use tf::functor::{Functor, fmap};

    #[derive(Functor, Debug, PartialEq)]
    struct Affine {
        weight: f32,
        bias: Option<f32>,
    }

    #[test]
    fn the_derive_finds_the_renamed_crate() {
        let m = fmap(
            |x: f32| 2.0 * x,
            Affine {
                weight: 1.0,
                bias: Some(2.0),
            },
        );
        assert_eq!(
            m,
            Affine {
                weight: 2.0,
                bias: Some(4.0)
            }
        );
    }
}
